/* A small kernel module's types, made into split BTF on mini_vmlinux.btf:
 * its list_head and task_struct resolve to the base's ids. */
struct list_head { struct list_head *next, *prev; };
struct task_struct;
typedef unsigned int u32;

struct nf_mini_conn {
	struct list_head list;
	struct task_struct *owner;
	u32 mark;
	u32 zone_id;
	union { u32 status; unsigned char bytes[4]; };
};

struct nf_mini_conn conn0;
