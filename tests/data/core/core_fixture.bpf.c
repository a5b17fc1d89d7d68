/* CO-RE relocations against the repo's fixtures (tests/data/mini_vmlinux.c
 * and mini_module.c), so that their results are known on any machine.
 * The local types below are what an older or newer kernel might have had:
 * other field orders and sizes, fields that the fixture lacks, flavors,
 * and a module's struct that vmlinux lacks. Built by make_core_corpus.sh;
 * self-contained (no vmlinux.h). */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Not in libbpf 1.1's bpf_core_read.h: whether a field is signed. */
#ifndef bpf_core_field_signed
#define bpf_core_field_signed(field) __builtin_preserve_field_info(field, BPF_FIELD_SIGNED)
#endif

char LICENSE[] SEC("license") = "GPL";

#define CORE __attribute__((preserve_access_index))

typedef unsigned int u32;
typedef unsigned long long u64;
typedef int pid_t;

struct list_head { struct list_head *next, *prev; } CORE;

struct mm_struct {
	unsigned long flags;          /* last in the fixture */
	unsigned long mmap_base;
	struct list_head mmlist;
} CORE;

enum task_state { TASK_RUNNING = 0, TASK_INTERRUPTIBLE = 1, TASK_DEAD = 64, TASK_NEW = 2048 };

struct task_struct {
	pid_t pid;                    /* the fixture has it after mm */
	pid_t tgid;
	struct mm_struct *mm;
	struct task_struct *real_parent;
	char comm[16];
	unsigned int in_execve:1;     /* bitfields, in another order */
	unsigned int sched_migrated:1;
	unsigned int sched_contributes_to_load:1;
	union {
		u64 utime;
		struct { u32 lo, hi; } utime_parts;
	};
	enum task_state state;
	long exit_code;
	int no_such_field;            /* the fixture has none */
} CORE;

/* task_struct as a kernel that named the state field otherwise. */
struct task_struct___v2 {
	unsigned int __state;
	int prio;
} CORE;

struct net_device { char name[16]; int ifindex; } CORE;

struct sk_buff {
	struct sk_buff *next;         /* in the fixture: in anonymous unions */
	struct sk_buff *prev;
	struct net_device *dev;
	unsigned int len;
	unsigned short protocol;
	unsigned char cloned:1, nohdr:1, fclone:2, peeked:1;
	char cb[48];
	unsigned char *data;
} CORE;

struct bpf_prog_aux_mini { u32 used_map_cnt; u32 func_cnt; u32 map_ids[]; } CORE;

/* Only the module (mini_module.c) has it. */
struct nf_mini_conn {
	struct list_head list;
	u32 mark;
	u32 zone_id;
	union { u32 status; unsigned char bytes[4]; };
} CORE;

struct no_such_struct { int x; } CORE;
enum bpf_reg_type { NOT_INIT = 0, SCALAR_VALUE = 1, PTR_TO_BTF_ID = 22, PTR_TO_NOWHERE = 99 };

#ifdef BTFREG_SHIFT_IDS
/* core_fixture_shifted.bpf.o: the same object with this program first, so
 * that every other type has another id (the relocator's cache is keyed by
 * what types are, not by their ids). */
struct shift_ids { int a; long b; } CORE;

SEC("kprobe/fixture")
int fixture_shift(void *ctx)
{
	struct shift_ids *s = (void *)bpf_get_current_task();

	return BPF_CORE_READ(s, b);
}
#endif

SEC("kprobe/fixture")
int fixture_task(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___v2 *t2 = (void *)t;
	long sum = 0;

	sum += BPF_CORE_READ(t, pid);
	sum += BPF_CORE_READ(t, tgid);
	sum += BPF_CORE_READ(t, mm, mmap_base);
	sum += BPF_CORE_READ(t, mm, flags);
	sum += (long)BPF_CORE_READ(t, mm, mmlist.prev);
	sum += BPF_CORE_READ(t, real_parent, pid);
	sum += BPF_CORE_READ(t, comm[3]);
	sum += BPF_CORE_READ(t, utime);
	sum += BPF_CORE_READ(t, utime_parts.hi);
	sum += BPF_CORE_READ(t, state);
	sum += BPF_CORE_READ(t, exit_code);
	sum += BPF_CORE_READ_BITFIELD_PROBED(t, in_execve);
	sum += BPF_CORE_READ_BITFIELD_PROBED(t, sched_migrated);
	sum += BPF_CORE_READ_BITFIELD_PROBED(t, sched_contributes_to_load);
	sum += bpf_core_field_exists(t->no_such_field);
	sum += bpf_core_field_exists(t->pid);
	sum += bpf_core_field_exists(t2->__state);
	sum += bpf_core_field_exists(t2->prio);
	if (bpf_core_field_exists(t->no_such_field))
		sum += BPF_CORE_READ(t, no_such_field);
	sum += BPF_CORE_READ(t2, __state);
	sum += BPF_CORE_READ(t2, prio);
	sum += bpf_core_field_size(t->comm);
	sum += bpf_core_field_size(t->exit_code);
	sum += bpf_core_field_signed(t->pid);
	sum += bpf_core_field_signed(t->state);
	sum += bpf_core_field_offset(t->utime_parts.lo);
	return sum;
}

SEC("kprobe/fixture")
int fixture_skb(void *ctx)
{
	struct sk_buff *skb = (void *)bpf_get_current_task();
	struct bpf_prog_aux_mini *aux = (void *)skb;
	long sum = 0;

	sum += BPF_CORE_READ(skb, next, len);
	sum += BPF_CORE_READ(skb, prev, protocol);
	sum += BPF_CORE_READ(skb, dev, ifindex);
	sum += BPF_CORE_READ(skb, dev, name[1]);
	sum += BPF_CORE_READ(skb, cb[7]);
	sum += (long)BPF_CORE_READ(skb, data);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, cloned);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, fclone);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, peeked);
	sum += BPF_CORE_READ(aux, func_cnt);
	sum += BPF_CORE_READ(aux, map_ids[2]);
	sum += bpf_core_field_size(skb->cb);
	return sum;
}

SEC("kprobe/fixture")
int fixture_types(void *ctx)
{
	long sum = 0;

	sum += bpf_core_type_exists(struct task_struct);
	sum += bpf_core_type_exists(struct no_such_struct);
	sum += bpf_core_type_exists(struct nf_mini_conn);
	sum += bpf_core_type_size(struct task_struct);
	sum += bpf_core_type_size(struct list_head);
	sum += bpf_core_type_size(struct nf_mini_conn);
	sum += bpf_core_type_size(pid_t);
	sum += bpf_core_type_id_kernel(struct task_struct);
	sum += bpf_core_type_id_kernel(struct nf_mini_conn);
	sum += bpf_core_type_id_kernel(struct no_such_struct);
	sum += bpf_core_type_id_local(struct sk_buff);
	sum += bpf_core_enum_value_exists(enum task_state, TASK_DEAD);
	sum += bpf_core_enum_value_exists(enum task_state, TASK_NEW);
	sum += bpf_core_enum_value(enum task_state, TASK_DEAD);
	sum += bpf_core_enum_value(enum bpf_reg_type, PTR_TO_BTF_ID);
	sum += bpf_core_enum_value_exists(enum bpf_reg_type, PTR_TO_NOWHERE);
	if (bpf_core_enum_value_exists(enum task_state, TASK_NEW))
		sum += bpf_core_enum_value(enum task_state, TASK_NEW);
#ifdef BTFREG_HAVE_TYPE_MATCHES
	sum += bpf_core_type_matches(struct list_head);
	sum += bpf_core_type_matches(struct task_struct);
	sum += bpf_core_type_matches(struct nf_mini_conn);
	sum += bpf_core_type_matches(enum task_state);
	sum += bpf_core_type_matches(enum bpf_reg_type);
	sum += bpf_core_type_matches(pid_t);
#endif
	return sum;
}

/* A module's type: found in the module because vmlinux has no candidate. */
SEC("kprobe/fixture")
int fixture_module(void *ctx)
{
	struct nf_mini_conn *c = (void *)bpf_get_current_task();
	long sum = 0;

	sum += BPF_CORE_READ(c, mark);
	sum += BPF_CORE_READ(c, zone_id);
	sum += BPF_CORE_READ(c, status);
	sum += BPF_CORE_READ(c, bytes[2]);
	sum += (long)BPF_CORE_READ(c, list.next);
	sum += bpf_core_field_exists(c->mark);
	return sum;
}
