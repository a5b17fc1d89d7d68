/* A small stand-in for vmlinux: real kernel shapes (list_head, task_struct,
 * mm_struct, sk_buff, file, bpf_reg_state) cut down to what the tests walk.
 * make_fixtures.sh turns it into mini_vmlinux.btf with pahole -J. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int s32;
typedef long long s64;
typedef int pid_t;
typedef _Bool bool;
typedef u32 __u32;
typedef __u32 gfp_t;            /* a typedef chain */

struct list_head { struct list_head *next, *prev; };
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right, *rb_left; };
struct qstr;                    /* forward declaration, never defined */

struct mm_struct {
	unsigned long mmap_base;
	unsigned long task_size;
	struct list_head mmlist;
	unsigned long flags;
};

enum task_state { TASK_RUNNING = 0, TASK_INTERRUPTIBLE = 1, TASK_DEAD = 64 };

struct task_struct {
	unsigned int __state;
	void *stack;
	int prio;
	unsigned int sched_contributes_to_load:1;
	unsigned int sched_migrated:1;
	unsigned int in_execve:1;
	struct list_head tasks;
	struct mm_struct *mm;
	struct mm_struct *active_mm;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *parent;
	struct list_head children;
	const struct qstr *name_hint;
	char comm[16];
	union {
		u64 utime;
		struct { u32 lo, hi; } utime_parts;
	};
	int (*notifier)(void *priv);
	enum task_state state;
	volatile long exit_code;
};

struct sock;
struct net_device { char name[16]; int ifindex; };

struct sk_buff {
	union {
		struct {
			struct sk_buff *next;
			struct sk_buff *prev;
			union {
				struct net_device *dev;
				unsigned long dev_scratch;
			};
		};
		struct rb_node rbnode;
		struct list_head list;
	};
	struct sock *sk;
	s64 tstamp;
	char cb[48];
	unsigned int len, data_len;
	u16 mac_len, hdr_len;
	u8 cloned:1, nohdr:1, fclone:2, peeked:1;
	u16 protocol;
	unsigned char *head, *data;
	unsigned int truesize;
};

struct file;
struct inode;
struct path { struct list_head *mnt; struct list_head *dentry; };
struct file_operations {
	long (*read)(struct file *, char *, unsigned long, long long *);
	int (*open)(struct inode *, struct file *);
};
struct inode { unsigned int i_mode; unsigned long i_ino; };
struct file {
	struct path f_path;
	struct inode *f_inode;
	const struct file_operations *f_op;
	unsigned int f_flags;
	gfp_t f_gfp;
	long long f_pos;
};

/* A flexible array member, as in many kernel structs. */
struct bpf_prog_aux_mini { u32 used_map_cnt; u32 func_cnt; u32 map_ids[]; };

/* The seed's AFTER layout of struct bpf_reg_state (Nov 2020). */
struct tnum { u64 value; u64 mask; };
enum bpf_reg_type { NOT_INIT = 0, SCALAR_VALUE, PTR_TO_BTF_ID = 22 };
enum bpf_reg_liveness { REG_LIVE_NONE = 0, REG_LIVE_READ32 = 1 };
struct bpf_map;
struct btf;
struct bpf_reg_state {
	enum bpf_reg_type type;
	s32 off;
	union {
		int range;
		struct bpf_map *map_ptr;
		struct { struct btf *btf; u32 btf_id; };
		u32 mem_size;
		struct { unsigned long raw1; unsigned long raw2; } raw;
	};
	u32 id;
	u32 ref_obj_id;
	struct tnum var_off;
	s64 smin_value, smax_value;
	u64 umin_value, umax_value;
	s32 s32_min_value, s32_max_value;
	u32 u32_min_value, u32_max_value;
	struct bpf_reg_state *parent;
	u32 frameno;
	s32 subreg_def;
	enum bpf_reg_liveness live;
	bool precise;
};

/* Referenced so that every type above is emitted. */
struct task_struct init_task;
struct sk_buff skb0;
struct file file0;
struct bpf_reg_state reg0;
struct bpf_prog_aux_mini *aux0;
int matrix[3][4];
