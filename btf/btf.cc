#include "btf/btf.h"

#include <bpf/btf.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "btf/libbpf_status.h"
#include "btf/name_index.h"
#include "btf/read_file.h"
#include "btf/spelling_cost.h"
#include "btf/type_table.h"
#include "btf/validate.h"

namespace btfreg {
namespace {

constexpr int kMaxChain = 64;  // more modifiers than any real BTF has

bool IsElf(absl::Span<const uint8_t> b) {
  return b.size() >= 4 && memcmp(b.data(), ELFMAG, SELFMAG) == 0;
}

constexpr long kSysfsMagic = 0x62656572;  // SYSFS_MAGIC

}  // namespace

// A loaded file's bytes: mapped read-only from sysfs, or read into a buffer.
absl::StatusOr<Btf::Input> Btf::ReadInput(absl::string_view path) {
  absl::StatusOr<OpenFile> file = OpenFile::Open(path);
  if (!file.ok()) return file.status();
  Input in;
  // The kernel's own BTF does not change while it runs, and sysfs lets
  // vmlinux be mapped (since Linux 6.12): read in place, no copy. A regular
  // file could be truncated under a mapping (SIGBUS on the next read), so it
  // is read instead, as is any sysfs file that cannot be mapped (modules).
  struct statfs fs;
  if (fstatfs(file->fd(), &fs) == 0 && fs.f_type == kSysfsMagic && file->size() > 0 &&
      file->size() <= kMaxBtfBytes) {
    void* map = mmap(nullptr, file->size(), PROT_READ, MAP_PRIVATE, file->fd(), 0);
    if (map != MAP_FAILED) {
      in.map = Mapping(map, file->size());
      return in;
    }
  }
  // A file that says its size (a regular file, a sysfs BTF file) must have
  // it; one that says 0 (procfs, a pipe) is read to its end.
  absl::StatusOr<std::vector<uint8_t>> bytes = file->ReadAll(kMaxBtfBytes);
  if (!bytes.ok()) return bytes.status();
  in.buffer = *std::move(bytes);
  return in;
}

namespace {

// The .BTF section of an ELF image held in memory. libelf may convert data
// in place, so it works on `image`, a private copy.
absl::StatusOr<std::vector<uint8_t>> BtfSectionOfElf(
    std::vector<uint8_t> image, absl::string_view name) {
  if (elf_version(EV_CURRENT) == EV_NONE) {
    return absl::InternalError("libelf: version mismatch");
  }
  Elf* elf = elf_memory(reinterpret_cast<char*>(image.data()), image.size());
  if (elf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a valid ELF file: ", elf_errmsg(-1)));
  }
  std::vector<uint8_t> out;
  absl::Status status = absl::NotFoundError(
      absl::StrCat(name, ": ELF file has no .BTF section"));
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    status = absl::InvalidArgumentError(absl::StrCat(
        name, ": ELF section header string table is invalid: ",
        elf_errmsg(-1)));
  } else {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
         scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (gelf_getshdr(scn, &sh) == nullptr) continue;
      const char* sname = elf_strptr(elf, shstrndx, sh.sh_name);
      if (sname == nullptr || strcmp(sname, BTF_ELF_SEC) != 0) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data == nullptr || data->d_buf == nullptr) {
        status = absl::InvalidArgumentError(
            absl::StrCat(name, ": .BTF section data is unreadable"));
        break;
      }
      const uint8_t* p = static_cast<const uint8_t*>(data->d_buf);
      out.assign(p, p + data->d_size);
      status = absl::OkStatus();
      break;
    }
  }
  elf_end(elf);
  if (!status.ok()) return status;
  return out;
}

// libbpf's btf__new_split() is declared in Debian's libbpf 1.1.2 but not
// exported from libbpf.so (it is missing from that release's version map), so
// split BTF in memory goes through an anonymous memfd and
// btf__parse_raw_split(), which reads it back by path. NULL + errno on error.
struct btf* NewSplit(absl::Span<const uint8_t> bytes, struct btf* base) {
  int fd = memfd_create("btfreg-split", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      errno = err;
      return nullptr;
    }
    done += n;
  }
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  struct btf* out = btf__parse_raw_split(path.c_str(), base);
  int err = errno;
  close(fd);
  errno = err;
  return out;
}

// Whether "___" occurs in `s`, eight bytes at a time: most names have none,
// and the name index asks this of each of vmlinux's 71k names. Windows of 8
// bytes start 6 apart, and one more ends at the end, so every 3-byte run
// lies whole in one of them; every read is a whole 8-byte load.
bool HasTripleUnderscore(absl::string_view s) {
  if (s.size() < 8) return s.find("___") != absl::string_view::npos;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  auto has = [&](size_t at) {
    uint64_t w;
    memcpy(&w, s.data() + at, 8);
    const uint64_t x = w ^ (kOnes * '_');  // a zero byte where w has '_'
    // 0x80 in each byte of x that is zero, exactly (no borrow between bytes).
    const uint64_t zero = ~(((x & kLow7) + kLow7) | x | kLow7);
    return (zero & (zero >> 8) & (zero >> 16)) != 0;
  };
  for (size_t i = 0; i + 8 <= s.size(); i += 6) {
    if (has(i)) return true;
  }
  return has(s.size() - 8);
}

}  // namespace

absl::string_view EssentialName(absl::string_view name) {
  // The last "X___Y" where neither X nor Y is an underscore, as libbpf's
  // bpf_core_essential_name_len. Most names have no "___" at all.
  if (!HasTripleUnderscore(name)) return name;
  for (size_t i = name.size() >= 5 ? name.size() - 5 + 1 : 0; i-- > 0;) {
    if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
        name[i + 3] == '_' && name[i + 4] != '_') {
      return name.substr(0, i + 1);
    }
  }
  return name;
}

absl::string_view KindName(int kind) {
  static constexpr const char* kNames[] = {
      "UNKN",      "INT",     "PTR",      "ARRAY",    "STRUCT", "UNION",
      "ENUM",      "FWD",     "TYPEDEF",  "VOLATILE", "CONST",  "RESTRICT",
      "FUNC",      "FUNC_PROTO", "VAR",   "DATASEC",  "FLOAT",  "DECL_TAG",
      "TYPE_TAG",  "ENUM64"};
  if (kind < 0 || kind >= static_cast<int>(sizeof(kNames) / sizeof(*kNames))) {
    return "UNKN";
  }
  return kNames[kind];
}

Btf::Mapping::~Mapping() {
  if (addr_ != nullptr) munmap(addr_, len_);
}

Btf::Mapping& Btf::Mapping::operator=(Mapping&& other) noexcept {
  std::swap(addr_, other.addr_);
  std::swap(len_, other.len_);
  return *this;
}

Btf::Btf(std::string name, Input input, const Btf* base)
    : name_(std::move(name)), input_(std::move(input)), base_(base) {}

Btf::~Btf() {
  if (struct btf* b = libbpf_.load(std::memory_order_relaxed)) btf__free(b);
  delete unspellable_.load(std::memory_order_relaxed);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::LoadFile(absl::string_view path) {
  absl::StatusOr<Input> in = ReadInput(path);
  if (!in.ok()) return in.status();
  return Load(*std::move(in), path, nullptr);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::LoadBytes(
    absl::Span<const uint8_t> bytes, absl::string_view name) {
  Input in;
  in.buffer.assign(bytes.begin(), bytes.end());  // the one copy
  return Load(std::move(in), name, nullptr);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::LoadVmlinux(absl::string_view path) {
  return LoadFile(path);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::LoadSplitFile(absl::string_view path,
                                                        const Btf& base) {
  absl::StatusOr<Input> in = ReadInput(path);
  if (!in.ok()) return in.status();
  return Load(*std::move(in), path, &base);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::LoadSplitBytes(
    absl::Span<const uint8_t> bytes, absl::string_view name, const Btf& base) {
  Input in;
  in.buffer.assign(bytes.begin(), bytes.end());  // the one copy
  return Load(std::move(in), name, &base);
}

absl::StatusOr<std::unique_ptr<Btf>> Btf::Load(Input in, absl::string_view name,
                                               const Btf* base) {
  absl::Span<const uint8_t> bytes = in.bytes();
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": empty input"));
  }
  if (bytes.size() > kMaxBtfBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        name, ": ", bytes.size(), " bytes is over the ", kMaxBtfBytes,
        "-byte limit for BTF"));
  }
  const bool object_file = IsElf(bytes);
  if (object_file) {
    absl::StatusOr<std::vector<uint8_t>> s =
        BtfSectionOfElf(std::vector<uint8_t>(bytes.begin(), bytes.end()), name);
    if (!s.ok()) return s.status();
    in = Input();
    in.buffer = *std::move(s);
    bytes = in.bytes();
  } else if (bytes.size() >= 2 && !(bytes[0] == 0x9f && bytes[1] == 0xeb) &&
             !(bytes[0] == 0xeb && bytes[1] == 0x9f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": neither raw BTF (magic 0xeb9f) nor an ELF object"));
  }
  absl::Status s = ValidateHeader(bytes, name, base != nullptr);
  if (!s.ok()) return s;
  std::vector<uint8_t> trimmed = TrimHeader(bytes);
  if (!trimmed.empty()) {
    in = Input();
    in.buffer = std::move(trimmed);
  }

  std::unique_ptr<Btf> out(new Btf(std::string(name), std::move(in), base));
  absl::StatusOr<std::unique_ptr<TypeTable>> types = TypeTable::Parse(
      out->input_.bytes(), name, base != nullptr ? base->types_.get() : nullptr);
  if (!types.ok()) return types.status();
  out->types_ = *std::move(types);
  const TypeTable* t = out->types_.get();
  out->type_count_ = t->type_cnt();
  out->start_id_ = t->start_id();
  s = ValidateTypes(t, out->start_id_, name, object_file, &out->ordered_);
  if (!s.ok()) return s;
  out->index_ = std::make_unique<NameIndex>();
  out->index_->Build(t, out->start_id_, out->type_count_);
  return out;
}

const struct btf* Btf::libbpf_btf() const {
  std::call_once(libbpf_once_, [this] {
    LibbpfLog log;  // keeps libbpf's warnings off stderr
    const absl::Span<const uint8_t> raw = types_->raw();
    struct btf* made = base_ != nullptr
                           ? NewSplit(raw, const_cast<struct btf*>(base_->libbpf_btf()))
                           : btf__new(raw.data(), raw.size());
    // btf__pointer_size() caches what it finds in the object; fill the
    // cache now, while the object is private, so that later calls only read.
    if (made != nullptr) btf__pointer_size(made);
    libbpf_.store(made, std::memory_order_release);
  });
  return libbpf_.load(std::memory_order_acquire);
}

const struct btf_type* Btf::type(uint32_t id) const {
  if (id == 0 || id >= type_count_) return nullptr;
  return types_->type(id);
}

const char* Btf::str(uint32_t off) const { return types_->str(off); }

int Btf::kind(uint32_t id) const {
  const struct btf_type* t = type(id);
  return t ? static_cast<int>(btf_kind(t)) : static_cast<int>(BTF_KIND_UNKN);
}

absl::string_view Btf::type_name(uint32_t id) const {
  const struct btf_type* t = type(id);
  if (t == nullptr) return "";
  const char* n = types_->str(t->name_off);
  return n ? n : "";
}

uint32_t Btf::raw_size(uint32_t id) const {
  const struct btf_type* t = type(id);
  if (t == nullptr) return 0;
  return HasSizeField(btf_kind(t)) ? t->size : 0;
}

uint32_t Btf::FindByName(absl::string_view name, int kind) const {
  if (base_ != nullptr) {
    uint32_t id = base_->FindByName(name, kind);
    if (id != 0) return id;
  }
  return index_->Find(name, kind);
}

std::vector<uint32_t> Btf::OwnTypesNamed(absl::string_view name, int kind) const {
  return index_->FindAll(name, kind);
}

std::vector<uint32_t> Btf::OwnCandidates(absl::string_view essential, int kind) const {
  std::vector<uint32_t> out = index_->FindAll(essential, kind);
  std::vector<uint32_t> flavors = index_->FindFlavors(essential, kind);
  out.insert(out.end(), flavors.begin(), flavors.end());
  return out;
}

uint32_t Btf::SkipModifiers(uint32_t id) const {
  for (int i = 0; i < kMaxChain; ++i) {
    const struct btf_type* t = type(id);
    if (t == nullptr) return id < type_count_ ? id : 0;
    if (!btf_is_mod(t)) return id;
    id = t->type;
  }
  return 0;
}

uint32_t Btf::SkipModsAndTypedefs(uint32_t id) const {
  for (int i = 0; i < kMaxChain; ++i) {
    const struct btf_type* t = type(id);
    if (t == nullptr) return id < type_count_ ? id : 0;
    if (!btf_is_mod(t) && !btf_is_typedef(t)) return id;
    id = t->type;
  }
  return 0;
}

absl::StatusOr<uint32_t> Btf::ResolvedSize(uint32_t id) const {
  if (!valid_id(id)) {
    return absl::NotFoundError(absl::StrCat(name_, ": type id ", id,
                                            " out of range (", type_count_,
                                            " types)"));
  }
  const int64_t size = types_->ResolveSize(id);
  if (size < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": type ", id, " (", KindName(kind(id)), ") has no size"));
  }
  return static_cast<uint32_t>(size);
}

// libbpf's btf__align_of, remembering each struct's answer: libbpf's own
// recurses into every member afresh, which costs 2^levels on structs that
// use one type twice at each level. 0 for a kind that has no alignment.
int Btf::AlignOf(uint32_t id, absl::flat_hash_map<uint32_t, int>& memo) const {
  const struct btf_type* t = type(id);
  if (t == nullptr) return 0;
  // As libbpf's btf_ptr_sz: the host's pointer size where the BTF does not
  // tell (btf__pointer_size answers 0 then).
  int ptr_size = static_cast<int>(types_->pointer_size());
  if (ptr_size == 0) ptr_size = sizeof(void*);
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FLOAT:
      return std::min<int64_t>(ptr_size, t->size);
    case BTF_KIND_PTR:
      return ptr_size;
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      return AlignOf(t->type, memo);
    case BTF_KIND_ARRAY:
      return AlignOf(btf_array(t)->type, memo);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      if (auto it = memo.find(id); it != memo.end()) return it->second;
      int max_align = 1;
      int result = 0;
      const struct btf_member* m = btf_members(t);
      for (uint32_t i = 0; i < btf_vlen(t); ++i) {
        const int align = AlignOf(m[i].type, memo);
        if (align <= 0) {
          result = align;
          break;
        }
        max_align = std::max(max_align, align);
        // A member off its type's alignment: the struct must be packed.
        if (btf_member_bitfield_size(t, i) == 0 &&
            m[i].offset % (8 * static_cast<uint32_t>(align)) != 0) {
          result = 1;
          break;
        }
      }
      if (result == 0) result = t->size % max_align != 0 ? 1 : max_align;
      memo[id] = result;
      return result;
    }
    default:
      return 0;
  }
}

absl::StatusOr<uint32_t> Btf::Alignment(uint32_t id) const {
  if (!valid_id(id)) {
    return absl::NotFoundError(absl::StrCat(name_, ": type id ", id,
                                            " out of range (", type_count_,
                                            " types)"));
  }
  absl::flat_hash_map<uint32_t, int> memo;
  const int align = AlignOf(id, memo);
  if (align <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": type ", id, " (", KindName(kind(id)), ") has no alignment"));
  }
  return static_cast<uint32_t>(align);
}

absl::StatusOr<std::vector<Member>> Btf::Members(uint32_t id) const {
  const struct btf_type* t = type(id);
  if (t == nullptr || !btf_is_composite(t)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": type ", id, " is not a struct or union"));
  }
  std::vector<Member> out;
  out.reserve(btf_vlen(t));
  const struct btf_member* m = btf_members(t);
  for (uint32_t i = 0; i < btf_vlen(t); ++i) {
    const char* n = types_->str(m[i].name_off);
    out.push_back(Member{n ? n : "", m[i].type, btf_member_bit_offset(t, i),
                         btf_member_bitfield_size(t, i)});
  }
  return out;
}

namespace {
// btf_dump writes an anonymous struct's whole body, with a padding line per
// 8 bytes of gap: a struct of a few GiB, which the kernel accepts, would
// spell to hundreds of MB. Past this much, output is dropped (cheaply) and
// TypeName fails.
constexpr size_t kMaxSpelling = 64 << 10;
// The most btf__align_of calls one spelling may cost (SpellingCost::AlignWork).
constexpr uint64_t kMaxSpellingAlignWork = uint64_t{1} << 18;

void DumpPrintf(void* ctx, const char* fmt, va_list args) {
  auto* out = static_cast<std::string*>(ctx);
  if (out->size() > kMaxSpelling) return;
  char buf[256];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(buf, sizeof(buf), fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out->append(buf, n);
    return;
  }
  std::string big(n + 1, '\0');
  vsnprintf(&big[0], big.size(), fmt, args);
  out->append(big.data(), n);
}
}  // namespace

// btf_dump gives the second type of a name it meets "name___2", as a
// whole-file dump must to stay valid C. TypeName's one btf_dump lives as long
// as the object, so that numbering would depend on which types were spelled
// before, by any thread: the suffixes it adds are taken off again. A name
// that BTF itself spells with "___N" (a CO-RE flavor) is kept.
std::string Btf::WithoutDumpRenames(const std::string& text) const {
  if (text.find("___") == std::string::npos) return text;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const bool starts = (isalpha(static_cast<unsigned char>(text[i])) || text[i] == '_') &&
                        (i == 0 || !(isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                     text[i - 1] == '_'));
    if (!starts) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() &&
           (isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
      ++end;
    }
    absl::string_view word(text.data() + i, end - i);
    const size_t mark = word.rfind("___");
    bool renamed = false;
    if (mark != absl::string_view::npos && mark > 0 && mark + 3 < word.size() &&
        std::all_of(word.begin() + mark + 3, word.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      renamed = true;
      for (int kind : {int{BTF_KIND_STRUCT}, int{BTF_KIND_UNION}, int{BTF_KIND_ENUM}, int{BTF_KIND_ENUM64},
                       int{BTF_KIND_TYPEDEF}, int{BTF_KIND_FWD}}) {
        if (FindByName(word, kind) != 0) renamed = false;
      }
    }
    absl::StrAppend(&out, renamed ? word.substr(0, mark) : word);
    i = end;
  }
  return out;
}

absl::StatusOr<std::string> Btf::TypeName(uint32_t id) const {
  if (!valid_id(id)) {
    return absl::NotFoundError(absl::StrCat(name_, ": type id ", id,
                                            " out of range (", type_count_,
                                            " types)"));
  }
  if (Unspellable(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": type ", id, " has no C spelling: it refers to itself through "
        "a function prototype, or nests declarators more than ",
        kMaxDeclaratorDepth, " deep"));
  }
  // Counted before btf_dump is asked: it cannot be stopped once it starts.
  SpellingCost spelling(*this);
  if (const uint64_t cost = spelling.Inline(id); cost > kMaxSpelling) {
    return absl::ResourceExhaustedError(absl::StrCat(
        name_, ": the C spelling of type ", id, " is longer than ", kMaxSpelling,
        " bytes (at least ",
        cost >= kSpellingUnbounded ? std::string("unbounded") : absl::StrCat(cost), ")"));
  }
  if (absl::Status s = spelling.AlignmentProblem(absl::StrCat("spelling type ", id),
                                                  kMaxSpellingAlignWork,
                                                  absl::StatusCode::kResourceExhausted);
      !s.ok()) {
    return s;
  }
  DumpSlot* slot = nullptr;
  for (DumpSlot& s : dump_slots_) {
    if (!s.busy.exchange(true, std::memory_order_acquire)) {
      slot = &s;
      break;
    }
  }
  if (slot == nullptr) {  // every slot busy: a btf_dump for this call alone
    DumpSlot own;
    return SpellWith(own, id);
  }
  absl::StatusOr<std::string> text = SpellWith(*slot, id);
  slot->busy.store(false, std::memory_order_release);
  return text;
}

Btf::DumpSlot::~DumpSlot() {
  if (dump != nullptr) btf_dump__free(dump);
}

absl::StatusOr<std::string> Btf::SpellWith(DumpSlot& slot, uint32_t id) const {
  LibbpfLog log;
  if (slot.dump == nullptr) {
    const struct btf* libbpf = libbpf_btf();
    if (libbpf == nullptr) {
      return absl::InternalError(absl::StrCat(name_, ": libbpf cannot read this BTF"));
    }
    slot.dump = btf_dump__new(libbpf, DumpPrintf, &slot.out, nullptr);
    if (slot.dump == nullptr) {
      return LibbpfError(name_, "btf_dump__new failed", errno, log);
    }
  }
  slot.out.clear();
  LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = "");
  int err = btf_dump__emit_type_decl(slot.dump, id, &opts);
  if (err != 0) {
    return LibbpfError(name_, absl::StrCat("cannot spell type ", id), err, log);
  }
  if (slot.out.size() > kMaxSpelling) {
    slot.out.clear();
    return absl::ResourceExhaustedError(absl::StrCat(
        name_, ": the C spelling of type ", id, " is longer than ",
        kMaxSpelling, " bytes"));
  }
  return WithoutDumpRenames(slot.out);
}

bool Btf::Unspellable(uint32_t id) const {
  if (id < start_id_) return base_ != nullptr && base_->Unspellable(id);
  if (id >= type_count_) return false;
  // Found on first use, not at load: only spelling a type needs it, and the
  // search costs as much as a fifth of a vmlinux load.
  std::call_once(unspellable_once_, [this] {
    unspellable_.store(new std::vector<bool>(FindUnspellable(types_.get(), start_id_)),
                       std::memory_order_release);
  });
  return (*unspellable_.load(std::memory_order_acquire))[id - start_id_];
}

bool Btf::ordered_struct(uint32_t id) const {
  if (id < start_id_) return base_ != nullptr && base_->ordered_struct(id);
  return id < type_count_ && ordered_[id - start_id_];
}

BtfMemory Btf::Memory() const {
  BtfMemory m;
  m.raw_bytes = input_.buffer.capacity();
  m.mapped_bytes = input_.map.size();
  // libbpf's object, once made: its copy of the bytes and its offsets.
  if (libbpf_.load(std::memory_order_acquire) != nullptr) {
    m.libbpf_bytes = types_->raw().size() + sizeof(uint32_t) * (type_count_ - start_id_);
  }
  m.index_bytes = types_->bytes() + index_->bytes() + ordered_.capacity() / 8;
  if (const std::vector<bool>* u = unspellable_.load(std::memory_order_acquire)) {
    m.index_bytes += u->capacity() / 8;
  }
  return m;
}

}  // namespace btfreg
