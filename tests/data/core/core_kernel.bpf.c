/* CO-RE reads of kernel types, compiled against a vmlinux.h that bpftool
 * dumped from a running kernel (make_core_corpus.sh): field reads through
 * nested structs, unions and arrays, bitfields, existence checks of fields
 * that do and do not exist (flavors), type sizes, ids, existence and
 * matches, and enum values. Each program sums what it reads, so that the
 * compiler keeps every relocation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* Not in libbpf 1.1's bpf_core_read.h: whether a field is signed. */
#ifndef bpf_core_field_signed
#define bpf_core_field_signed(field) __builtin_preserve_field_info(field, BPF_FIELD_SIGNED)
#endif

char LICENSE[] SEC("license") = "GPL";

/* Flavors: a field no kernel has, and task_struct::state as kernels
 * before 5.14 named it. */
struct task_struct___missing {
	int no_such_field;
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* A struct no kernel has. */
struct btfreg_no_such_struct {
	int x;
} __attribute__((preserve_access_index));

typedef struct btfreg_no_such_struct btfreg_no_such_t;

enum btfreg_no_such_enum { BTFREG_NO_SUCH_VALUE = 7 };

/* A local copy of a kernel struct, for bpf_core_type_matches. */
struct list_head___local {
	struct list_head___local *next, *prev;
};

SEC("kprobe/do_exit")
int task_fields(struct pt_regs *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	long sum = 0;

	sum += BPF_CORE_READ(t, pid);
	sum += BPF_CORE_READ(t, tgid);
	sum += BPF_CORE_READ(t, prio);
	sum += BPF_CORE_READ(t, static_prio);
	sum += BPF_CORE_READ(t, flags);
	sum += BPF_CORE_READ(t, __state);
	sum += BPF_CORE_READ(t, real_parent, pid);
	sum += BPF_CORE_READ(t, real_parent, real_parent, tgid);
	sum += BPF_CORE_READ(t, parent, pid);
	sum += BPF_CORE_READ(t, group_leader, pid);
	sum += BPF_CORE_READ(t, mm, mmap_base);
	sum += BPF_CORE_READ(t, mm, start_code);
	sum += BPF_CORE_READ(t, mm, end_code);
	sum += BPF_CORE_READ(t, mm, arg_start);
	sum += BPF_CORE_READ(t, mm, total_vm);
	sum += BPF_CORE_READ(t, active_mm, start_brk);
	sum += BPF_CORE_READ(t, cred, uid.val);
	sum += BPF_CORE_READ(t, cred, gid.val);
	sum += BPF_CORE_READ(t, cred, euid.val);
	sum += BPF_CORE_READ(t, real_cred, fsuid.val);
	sum += BPF_CORE_READ(t, se.vruntime);
	sum += BPF_CORE_READ(t, se.load.weight);
	sum += BPF_CORE_READ(t, thread_info.flags);
	sum += BPF_CORE_READ(t, nsproxy, pid_ns_for_children, level);
	sum += BPF_CORE_READ(t, fs, root.dentry, d_name.len);
	sum += BPF_CORE_READ(t, files, next_fd);
	sum += BPF_CORE_READ(t, signal, nr_threads);
	sum += BPF_CORE_READ(t, exit_code);
	sum += BPF_CORE_READ(t, comm[0]);
	sum += BPF_CORE_READ(t, comm[15]);
	return sum;
}

SEC("kprobe/do_exit")
int task_checks(struct pt_regs *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___missing *missing = (void *)t;
	struct task_struct___old *old = (void *)t;
	long sum = 0;

	sum += bpf_core_field_exists(t->pid);
	sum += bpf_core_field_exists(t->__state);
	sum += bpf_core_field_exists(missing->no_such_field);
	sum += bpf_core_field_exists(missing->mm);
	sum += bpf_core_field_exists(old->state);
	if (bpf_core_field_exists(old->state))
		sum += BPF_CORE_READ(old, state);
	if (bpf_core_field_exists(missing->no_such_field))
		sum += BPF_CORE_READ(missing, no_such_field);
	sum += bpf_core_field_size(t->pid);
	sum += bpf_core_field_size(t->comm);
	sum += bpf_core_field_size(t->mm);
	sum += bpf_core_field_size(t->se);
	sum += bpf_core_field_size(t->thread_info);
	sum += bpf_core_field_size(t->__state);
	sum += bpf_core_field_offset(t->pid);
	sum += bpf_core_field_offset(t->tgid);
	sum += bpf_core_field_offset(t->comm);
	sum += bpf_core_field_offset(t->se.vruntime);
	return sum;
}

SEC("kprobe/do_exit")
int task_bitfields(struct pt_regs *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	long sum = 0;

	sum += BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
	sum += BPF_CORE_READ_BITFIELD_PROBED(t, in_execve);
	sum += BPF_CORE_READ_BITFIELD_PROBED(t, in_iowait);
	sum += bpf_core_field_signed(t->pid);
	sum += bpf_core_field_signed(t->flags);
	sum += bpf_core_field_signed(t->prio);
	return sum;
}

SEC("kprobe/tcp_sendmsg")
int sock_fields(struct pt_regs *ctx)
{
	struct sock *sk = (void *)PT_REGS_PARM1_CORE(ctx);
	long sum = 0;

	sum += BPF_CORE_READ(sk, __sk_common.skc_family);
	sum += BPF_CORE_READ(sk, __sk_common.skc_dport);
	sum += BPF_CORE_READ(sk, __sk_common.skc_num);
	sum += BPF_CORE_READ(sk, __sk_common.skc_daddr);
	sum += BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	sum += BPF_CORE_READ(sk, __sk_common.skc_state);
	sum += BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	sum += BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	sum += BPF_CORE_READ(sk, sk_rcvbuf);
	sum += BPF_CORE_READ(sk, sk_sndbuf);
	sum += BPF_CORE_READ(sk, sk_protocol);
	sum += BPF_CORE_READ(sk, sk_type);
	sum += BPF_CORE_READ(sk, sk_mark);
	sum += BPF_CORE_READ(sk, sk_priority);
	sum += BPF_CORE_READ(sk, sk_socket, state);
	sum += BPF_CORE_READ(sk, sk_socket, file, f_flags);
	sum += bpf_core_field_exists(sk->__sk_common.skc_v6_daddr);
	sum += bpf_core_field_size(sk->__sk_common.skc_v6_daddr);
	sum += BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);
	return sum;
}

SEC("kprobe/kfree_skb_reason")
int skb_fields(struct pt_regs *ctx)
{
	struct sk_buff *skb = (void *)PT_REGS_PARM1_CORE(ctx);
	long sum = 0;

	sum += BPF_CORE_READ(skb, len);
	sum += BPF_CORE_READ(skb, data_len);
	sum += BPF_CORE_READ(skb, protocol);
	sum += BPF_CORE_READ(skb, mark);
	sum += BPF_CORE_READ(skb, priority);
	sum += BPF_CORE_READ(skb, hash);
	sum += BPF_CORE_READ(skb, mac_len);
	sum += BPF_CORE_READ(skb, network_header);
	sum += BPF_CORE_READ(skb, transport_header);
	sum += BPF_CORE_READ(skb, dev, ifindex);
	sum += BPF_CORE_READ(skb, dev, mtu);
	sum += BPF_CORE_READ(skb, dev, name[0]);
	sum += BPF_CORE_READ(skb, sk, __sk_common.skc_family);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, cloned);
	sum += BPF_CORE_READ_BITFIELD_PROBED(skb, ip_summed);
	sum += bpf_core_field_offset(skb->cb);
	sum += bpf_core_field_size(skb->cb);
	return sum;
}

SEC("kprobe/vfs_read")
int file_fields(struct pt_regs *ctx)
{
	struct file *f = (void *)PT_REGS_PARM1_CORE(ctx);
	long sum = 0;

	sum += BPF_CORE_READ(f, f_flags);
	sum += BPF_CORE_READ(f, f_mode);
	sum += BPF_CORE_READ(f, f_pos);
	sum += BPF_CORE_READ(f, f_inode, i_ino);
	sum += BPF_CORE_READ(f, f_inode, i_mode);
	sum += BPF_CORE_READ(f, f_inode, i_size);
	sum += BPF_CORE_READ(f, f_inode, i_nlink);
	sum += BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	sum += BPF_CORE_READ(f, f_inode, i_sb, s_magic);
	sum += BPF_CORE_READ(f, f_inode, i_sb, s_blocksize);
	sum += BPF_CORE_READ(f, f_path.dentry, d_name.len);
	sum += BPF_CORE_READ(f, f_path.dentry, d_name.hash_len);
	sum += BPF_CORE_READ(f, f_path.dentry, d_parent, d_name.len);
	sum += BPF_CORE_READ(f, f_path.dentry, d_inode, i_uid.val);
	sum += BPF_CORE_READ(f, f_path.mnt, mnt_flags);
	return sum;
}

SEC("kprobe/do_exit")
int types_and_enums(struct pt_regs *ctx)
{
	long sum = 0;

	sum += bpf_core_type_exists(struct task_struct);
	sum += bpf_core_type_exists(struct btfreg_no_such_struct);
	sum += bpf_core_type_exists(btfreg_no_such_t);
	sum += bpf_core_type_exists(struct task_struct___old);
	sum += bpf_core_type_exists(union bpf_attr);
	sum += bpf_core_type_exists(pid_t);
	sum += bpf_core_type_size(struct task_struct);
	sum += bpf_core_type_size(struct sk_buff);
	sum += bpf_core_type_size(struct list_head);
	sum += bpf_core_type_size(union bpf_attr);
	sum += bpf_core_type_size(u64);
	sum += bpf_core_type_size(pid_t);
	sum += bpf_core_type_id_kernel(struct task_struct);
	sum += bpf_core_type_id_kernel(struct sk_buff);
	sum += bpf_core_type_id_kernel(struct btfreg_no_such_struct);
	sum += bpf_core_type_id_local(struct task_struct);
	sum += bpf_core_type_id_local(struct btfreg_no_such_struct);
	sum += bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_HASH);
	sum += bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	sum += bpf_core_enum_value_exists(enum btfreg_no_such_enum, BTFREG_NO_SUCH_VALUE);
	sum += bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	sum += bpf_core_enum_value(enum bpf_prog_type, BPF_PROG_TYPE_KPROBE);
	sum += bpf_core_enum_value(enum bpf_prog_type, BPF_PROG_TYPE_TRACING);
	sum += bpf_core_enum_value(enum pid_type, PIDTYPE_TGID);
	if (bpf_core_enum_value_exists(enum btfreg_no_such_enum, BTFREG_NO_SUCH_VALUE))
		sum += bpf_core_enum_value(enum btfreg_no_such_enum, BTFREG_NO_SUCH_VALUE);
#ifdef BTFREG_HAVE_TYPE_MATCHES
	sum += bpf_core_type_matches(struct list_head);
	sum += bpf_core_type_matches(struct list_head___local);
	sum += bpf_core_type_matches(struct task_struct___old);
	sum += bpf_core_type_matches(struct btfreg_no_such_struct);
#endif
	return sum;
}
