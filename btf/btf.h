// btf/btf.h: one parsed, immutable BTF object.
//
// A `Btf` reads one BTF blob (vmlinux, a kernel module's split BTF, or any
// file a user hands us) in place, validates it at load, and builds the
// indexes the verifier-style queries need: O(1) lookup by name and kind,
// struct walks, and the C spelling of a type. Its own type-offset table
// reads the types where they lie; libbpf's `struct btf` over the same bytes
// is made only when something asks for it (libbpf_btf(), the C spellings).
//
//   absl::StatusOr<std::unique_ptr<Btf>> vmlinux = Btf::LoadVmlinux();
//   if (!vmlinux.ok()) return vmlinux.status();
//   uint32_t task = (*vmlinux)->FindByName("task_struct", BTF_KIND_STRUCT);
//
// Module BTF is split BTF: its type ids continue after its base's last id and
// its types may refer to the base's types.
//
//   auto mod = Btf::LoadSplitFile("/sys/kernel/btf/nf_tables", **vmlinux);
//
// Untrusted input: every loader validates the header, the string section,
// every name offset and referenced type id, and rejects reference loops, so
// the queries below never read out of bounds or loop forever. A rejected input
// returns an `absl::Status` whose message starts with the input's name.
//
// Thread safety: a `Btf` is immutable once a loader returns it, so any number
// of threads may call its const methods concurrently without a lock.
// Of libbpf's own calls on `libbpf_btf()`, these only read and are safe to share:
// btf__type_by_id, btf__type_cnt, btf__name_by_offset, btf__str_by_offset,
// btf__find_by_name_kind, btf__resolve_size, btf__resolve_type,
// btf__align_of, btf__base_btf, btf__endianness and btf__pointer_size (its
// lazy cache is filled when the object is made). NOT safe on a shared
// object: btf__raw_data / btf__get_raw_data (they build and cache a raw
// copy), btf__add_*, btf__dedup, btf__set_*; copy the object first if you
// need them.
//
// Ownership: the `Btf` owns the bytes it reads (a file is read once into
// one buffer; LoadBytes copies once) and the libbpf object, if one was
// made. A split `Btf` borrows its base: the base must outlive it (the
// registry keeps a reference to vmlinux in every module it registers for
// exactly this reason).

#ifndef BTFREG_BTF_BTF_H_
#define BTFREG_BTF_BTF_H_

#include <linux/btf.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

struct btf;
struct btf_dump;

namespace btfreg {

class NameIndex;  // btf/name_index.h, internal
class TypeTable;  // btf/type_table.h, internal

// Where the running kernel publishes its own BTF.
inline constexpr absl::string_view kVmlinuxPath = "/sys/kernel/btf/vmlinux";

// Upper bound on an input's size. vmlinux is ~6 MiB; anything far larger is a
// lie or a mistake, and refusing it keeps a hostile file from costing an
// unbounded allocation.
inline constexpr size_t kMaxBtfBytes = 256u << 20;

// The CO-RE essential name: `name` up to its last "___" flavor suffix
// ("task_struct___v2" -> "task_struct"), as libbpf matches candidates.
absl::string_view EssentialName(absl::string_view name);

// "STRUCT", "PTR", ...: the kind names bpftool prints; "UNKN" otherwise.
absl::string_view KindName(int kind);

// One member of a struct or union, as BTF encodes it.
struct Member {
  absl::string_view name;  // "" for an anonymous member
  uint32_t type_id;        // the member's declared type (modifiers not skipped)
  uint32_t bit_offset;     // from the start of the enclosing struct
  uint32_t bitfield_size;  // 0 unless the member is a bitfield
};

// What an access through a struct resolves to, as the kernel's
// btf_struct_walk / btf_struct_access classify it.
enum class WalkKind {
  kScalar,   // plain data: an int, an enum, part of an array of them, a bitfield
  kPointer,  // exactly a pointer member whose pointee is a struct or union
};

// One step of a walk: the member taken in the struct (or union) being walked.
struct WalkStep {
  uint32_t struct_id;       // the struct or union the member belongs to
  uint32_t member_index;    // index in that struct's member list
  absl::string_view name;   // the member's name ("" when anonymous)
  int64_t array_index;      // element index when the member is an array, else -1
};

struct WalkResult {
  WalkKind kind;
  // Outermost first. Anonymous members and array elements appear as steps.
  absl::InlinedVector<WalkStep, 4> path;
  // The member type reached, modifiers and typedefs skipped.
  uint32_t type_id = 0;
  // For kPointer: the pointee struct/union id (modifiers skipped), which is
  // what a PTR_TO_BTF_ID register holds after the load. Otherwise 0.
  uint32_t pointee_id = 0;
  // Offset, in bytes from the start of the outermost struct, of the member
  // (or array element) reached.
  uint32_t member_offset = 0;
};

// How StructWalk judges a scalar read that starts inside a member and runs
// past its end (skb->secmark read as a u64, say). Kernels differ; the
// default is what the verifier of the kernel this was checked on does
// (tests/struct_walk_kernel_test asks the running kernel's BPF_PROG_LOAD
// about every access to four structs).
enum class WalkMode {
  // Refused, unless the walk has entered a union on its way to the member
  // (at that level or above): kernels since Yafang Shao's 2023 fix for
  // fields in unions ("bpf: Fix an error in verifying a field in a union",
  // Fixes: 7e3617a72df3); this machine's 6.18.
  kMemberBoundOutsideUnions,
  // Always refused ("access beyond the end of member"): the check as
  // 7e3617a72df3 ("bpf: Add array support to btf_struct_access", 2020)
  // brought it, until that fix.
  kMemberBound,
};
inline constexpr WalkMode kDefaultWalkMode = WalkMode::kMemberBoundOutsideUnions;

// Memory held by one Btf, in bytes.
// Memory held by one Btf, in bytes. total() is the heap; a file mapped
// read-only (sysfs vmlinux) is the kernel's memory, counted apart.
struct BtfMemory {
  size_t raw_bytes = 0;    // the BTF blob on the heap, read in place (0 if mapped)
  size_t mapped_bytes = 0; // the BTF blob mapped read-only from sysfs (0 if read)
  size_t libbpf_bytes = 0; // libbpf's object, once made (libbpf_btf()): 0 before
  size_t index_bytes = 0;  // our type offsets, name index and per-type flags
  size_t total() const { return raw_bytes + libbpf_bytes + index_bytes; }
};

class Btf {
 public:
  // Loads raw BTF or an ELF object with a .BTF section (detected by magic).
  // A sysfs file that can be mapped (the kernel's vmlinux) is mapped
  // read-only and read in place; any other file is read once into one
  // buffer (a regular file is never mapped: truncated under a mapping, it
  // would raise SIGBUS on the next read).
  static absl::StatusOr<std::unique_ptr<Btf>> LoadFile(absl::string_view path);
  // Loads from bytes in memory (raw BTF or ELF), which are copied once: the
  // caller's bytes are not kept. `name` appears in errors.
  static absl::StatusOr<std::unique_ptr<Btf>> LoadBytes(
      absl::Span<const uint8_t> bytes, absl::string_view name);
  // Loads the running kernel's BTF (or vmlinux BTF found at `path`).
  static absl::StatusOr<std::unique_ptr<Btf>> LoadVmlinux(
      absl::string_view path = kVmlinuxPath);
  // Split BTF on top of `base` (module BTF). Type ids start at
  // base.type_count(). REQUIRES: `base` outlives the returned object.
  static absl::StatusOr<std::unique_ptr<Btf>> LoadSplitFile(
      absl::string_view path, const Btf& base);
  static absl::StatusOr<std::unique_ptr<Btf>> LoadSplitBytes(
      absl::Span<const uint8_t> bytes, absl::string_view name,
      const Btf& base);

  ~Btf();
  Btf(const Btf&) = delete;
  Btf& operator=(const Btf&) = delete;

  // The name given at load: a path, or a module name.
  const std::string& name() const { return name_; }
  // The base of split BTF, or nullptr.
  const Btf* base() const { return base_; }
  // One past the last valid type id; ids run from 0 (void) for standalone
  // BTF, and include the base's ids for split BTF (as btf__type_cnt).
  uint32_t type_count() const { return type_count_; }
  // The first id this object defines itself (1, or base's type_count()).
  uint32_t start_id() const { return start_id_; }
  bool valid_id(uint32_t id) const { return id < type_count_; }

  // The type with this id (the base's for split BTF), or nullptr when out of
  // range. Id 0 is void and has no btf_type.
  const struct btf_type* type(uint32_t id) const;
  // BTF_KIND_* of `id`; BTF_KIND_UNKN for void or an id out of range.
  int kind(uint32_t id) const;
  // The type's name, "" when anonymous, void, or out of range.
  absl::string_view type_name(uint32_t id) const;
  // The string at offset `off` of the string section (the base's below its
  // end, for split BTF): a member's or parameter's name_off, say. nullptr
  // past the end.
  const char* str(uint32_t off) const;
  // The size field of sized kinds (int, struct, union, enum, datasec, float).
  uint32_t raw_size(uint32_t id) const;

  // The first type with this name and kind, in id order (base first), as
  // libbpf's btf__find_by_name_kind; 0 when there is none. O(1).
  uint32_t FindByName(absl::string_view name, int kind) const;
  // Every type this object defines itself (ids from start_id(); not its
  // base's) with this name and kind, lowest id first. O(1) per result.
  std::vector<uint32_t> OwnTypesNamed(absl::string_view name, int kind) const;
  // CO-RE candidates among this object's own types: every type of this
  // kind whose essential name is `essential` ("foo" finds "foo" and
  // "foo___v2"), lowest id first within each group.
  std::vector<uint32_t> OwnCandidates(absl::string_view essential, int kind) const;

  // Skips const/volatile/restrict/type_tag and typedefs, as the kernel's
  // btf_type_skip_modifiers. Returns 0 for void or an invalid id.
  uint32_t SkipModsAndTypedefs(uint32_t id) const;
  // Skips modifiers only (typedefs kept).
  uint32_t SkipModifiers(uint32_t id) const;

  // The size in bytes of an object of this type (arrays multiplied out,
  // typedefs and modifiers followed, pointers sized from the BTF).
  absl::StatusOr<uint32_t> ResolvedSize(uint32_t id) const;
  // Its natural alignment in bytes.
  absl::StatusOr<uint32_t> Alignment(uint32_t id) const;

  // The members of a struct or union. Error for any other kind.
  absl::StatusOr<std::vector<Member>> Members(uint32_t id) const;

  // Resolves an access of `size` bytes at `offset` into the struct or union
  // `struct_id`, through nested structs, anonymous members and arrays, as the
  // kernel's btf_struct_access does: the first member covering the offset
  // decides. Errors: id out of range or not a struct (InvalidArgument /
  // NotFound), offset past the end (OutOfRange), an access that straddles
  // members, falls in a hole, or reads part of a pointer (InvalidArgument).
  // `mode`: a scalar read past its member's end (see WalkMode).
  absl::StatusOr<WalkResult> StructWalk(uint32_t struct_id, uint32_t offset,
                                        uint32_t size,
                                        WalkMode mode = kDefaultWalkMode) const;
  // Every resolution of the access: in a union each member covering the
  // offset is a candidate (the kernel picks the first). Empty when none fits.
  // At most kMaxWalkCandidates, found within kMaxWalkVisits union members
  // tried: BTF (not C) may nest unions that use one type twice at each
  // level, and their candidates double with each.
  std::vector<WalkResult> StructWalkAll(uint32_t struct_id, uint32_t offset,
                                        uint32_t size,
                                        WalkMode mode = kDefaultWalkMode) const;
  static constexpr size_t kMaxWalkCandidates = 256;
  static constexpr uint32_t kMaxWalkVisits = 1024;

  // The C spelling of a type as `bpftool btf dump ... format c` writes it in
  // a declaration: "struct task_struct *", "const char[16]",
  // "int (*)(struct sk_buff *)". Uses libbpf's btf_dump: a few per object,
  // made on first use and claimed without a lock (safe inside a registry
  // read section). InvalidArgument for a type with no C spelling (a
  // prototype that takes a pointer to itself).
  absl::StatusOr<std::string> TypeName(uint32_t id) const;

  // Whether no C declaration can spell `id`: it reaches a cycle through a
  // function prototype, or nests declarators too deeply (FindUnspellable in
  // validate.h). The kernel accepts such types; TypeName refuses them, and
  // CDeclaration (layout.h) refuses any type that reaches one. The search
  // runs once, on the first call (a few milliseconds for vmlinux), and is
  // then kept and shared; later calls take no lock.
  bool Unspellable(uint32_t id) const;

  BtfMemory Memory() const;

  // libbpf's object over this BTF, for read-only libbpf calls (see the file
  // comment for which are safe on a shared object). Made on the first call
  // (a copy of the bytes, and the base's object for split BTF), then kept.
  const struct btf* libbpf_btf() const;

 private:
  // A read-only mapping, unmapped when destroyed.
  class Mapping {
   public:
    Mapping() = default;
    Mapping(void* addr, size_t len) : addr_(addr), len_(len) {}
    Mapping(Mapping&& other) noexcept { *this = std::move(other); }
    Mapping& operator=(Mapping&& other) noexcept;
    ~Mapping();
    const uint8_t* data() const { return static_cast<const uint8_t*>(addr_); }
    size_t size() const { return len_; }

   private:
    void* addr_ = nullptr;
    size_t len_ = 0;
  };
  // The bytes a Btf reads: a buffer of its own, or a mapping.
  struct Input {
    std::vector<uint8_t> buffer;
    Mapping map;
    absl::Span<const uint8_t> bytes() const {
      return map.size() != 0 ? absl::Span<const uint8_t>(map.data(), map.size())
                             : absl::Span<const uint8_t>(buffer);
    }
  };
  static absl::StatusOr<Input> ReadInput(absl::string_view path);

  Btf(std::string name, Input input, const Btf* base);
  static absl::StatusOr<std::unique_ptr<Btf>> Load(
      Input input, absl::string_view name,
      const Btf* base);

  // Whether struct `id` has its members in order without overlap (set by
  // validation); StructWalk then skips members without sizing them.
  bool ordered_struct(uint32_t id) const;

  // TypeName's text without the "___N" renames btf_dump adds (btf.cc).
  std::string WithoutDumpRenames(const std::string& text) const;
  // Alignment's body (btf.cc).
  int AlignOf(uint32_t id, absl::flat_hash_map<uint32_t, int>& memo) const;
  // Resolves one candidate (or all, when `all` is set); see struct_walk.cc.
  struct WalkAll;
  // A struct's name for an error message, or "the anonymous union (type N)".
  std::string StructLabel(uint32_t id) const;
  // `in_union`: a union was entered above this level.
  absl::Status Walk(uint32_t struct_id, uint32_t offset, uint32_t size, WalkMode mode,
                    bool in_union, WalkResult& partial, WalkAll* all) const;

  const std::string name_;
  const Input input_;  // what types_ reads, unless swapped
  const Btf* const base_;  // borrowed; outlives this
  std::unique_ptr<TypeTable> types_;
  // libbpf's object, made by libbpf_btf() on first use.
  mutable std::once_flag libbpf_once_;
  mutable std::atomic<struct btf*> libbpf_{nullptr};  // owned
  uint32_t type_count_ = 0;
  uint32_t start_id_ = 1;
  // By pointer, so that the index stays out of this public header.
  std::unique_ptr<NameIndex> index_;
  std::vector<bool> ordered_;      // by id - start_id_
  // By id - start_id_; made by the first Unspellable() (owned), as the
  // libbpf object is, so that Memory() can read whether it exists yet.
  mutable std::once_flag unspellable_once_;
  mutable std::atomic<const std::vector<bool>*> unspellable_{nullptr};

  // TypeName's btf_dump objects. A btf_dump keeps caches, so one serves
  // one call at a time: a call claims a free slot with an atomic flag (no
  // lock: TypeName runs inside read sections) and makes the slot's
  // btf_dump on first use; when every slot is busy it makes its own for
  // the call.
  struct DumpSlot {
    DumpSlot() = default;
    DumpSlot(const DumpSlot&) = delete;
    DumpSlot& operator=(const DumpSlot&) = delete;
    ~DumpSlot();                       // frees `dump` (btf.cc)
    std::atomic<bool> busy{false};
    struct btf_dump* dump = nullptr;   // owned; touched only by the claimer
    std::string out;                   // what it printed
  };
  static constexpr int kDumpSlots = 4;
  // Spells `id` with `slot`'s btf_dump, made if need be.
  absl::StatusOr<std::string> SpellWith(DumpSlot& slot, uint32_t id) const;
  mutable DumpSlot dump_slots_[kDumpSlots];
};

}  // namespace btfreg

#endif  // BTFREG_BTF_BTF_H_
