/* Shapes whose pahole text is easy to get wrong, for btf/layout_test:
 * make_fixtures.sh turns this into layout_shapes.btf (pahole -J) and writes
 * pahole's text for every struct of it to layout_shapes.pahole. */
struct list_head { struct list_head *next, *prev; };
struct cred;

struct req {                      /* anonymous enums, plain and as a bitfield */
	enum { REQ_A = 0, REQ_LONGER = 1 } type;
	int x;
	unsigned int flag:3;
	enum { F_ONE = 1, F_TWO = 2 } mode:4;
	long l;
};

struct ptrs {                     /* pointers to const, at any depth */
	const char *name;
	const char **names;
	const char *const *table;
	const struct cred *cred;
	int (*cb)(const int, const char *, long *restrict);
	void *const fixed;            /* const pointers: pahole moves the const */
	char (*rows)[16];             /* a pointer to an array: pahole writes char * */
	const char label[8];          /* an array of const: "const const" in pahole */
};

struct deep {                     /* nesting past the type column */
	struct {
		struct {
			struct {
				struct {
					struct list_head list;
					long tail;
				} d;
			} c;
		} b;
	} a;
};

struct anon_ptr {                 /* pointer to, array of and const anonymous */
	struct { long from, size; int flags; } *parts;
	struct { int a; short b; } pairs[2];
	const struct { long c; int d; } fixed;
	long end;
};

struct flex {                     /* a flexible array of anonymous structs */
	int n;
	struct { int k; int v; } items[];
};

struct bits_first {               /* a bit hole before the first member */
	unsigned int :31;
	unsigned int last:1;
};

struct req r0;
struct ptrs p0;
struct deep d0;
struct anon_ptr a0;
struct flex *f0;
struct bits_first b0;
