/* A BPF object compiled with clang -target bpf -g: an ELF with .BTF. */
struct event { int pid; char comm[16]; unsigned long long ts; };
struct event last_event;
int handle(struct event *e) { return e->pid; }
