#include "core/bpf_object.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "btf/read_file.h"

namespace btfreg {
namespace {

absl::Status Bad(absl::string_view name, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", problem));
}

// libelf's view of bytes in memory, ended when it goes.
class ElfFile {
 public:
  explicit ElfFile(std::vector<uint8_t>& image) {
    if (elf_version(EV_CURRENT) != EV_NONE) {
      elf_ = elf_memory(reinterpret_cast<char*>(image.data()), image.size());
    }
  }
  ~ElfFile() {
    if (elf_ != nullptr) elf_end(elf_);
  }
  Elf* get() const { return elf_; }

 private:
  Elf* elf_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BpfObject>> BpfObject::Load(absl::string_view path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadPath(path, kMaxBtfBytes);
  if (!bytes.ok()) return bytes.status();
  return LoadBytes(*bytes, path);
}

absl::StatusOr<std::unique_ptr<BpfObject>> BpfObject::LoadBytes(absl::Span<const uint8_t> bytes,
                                                                 absl::string_view name) {
  std::unique_ptr<BpfObject> obj(new BpfObject);
  obj->name_ = std::string(name);
  if (bytes.size() < 4 || memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return Bad(name, "not an ELF object");
  }
  absl::StatusOr<std::unique_ptr<Btf>> btf = Btf::LoadBytes(bytes, name);
  if (!btf.ok()) return btf.status();
  obj->btf_ = *std::move(btf);

  obj->image_.assign(bytes.begin(), bytes.end());
  std::vector<uint8_t> image(bytes.begin(), bytes.end());  // libelf's to read
  ElfFile elf(image);
  if (elf.get() == nullptr) return Bad(name, absl::StrCat("not a valid ELF file: ", elf_errmsg(-1)));
  size_t shstrndx;
  if (elf_getshdrstrndx(elf.get(), &shstrndx) != 0) {
    return Bad(name, "the ELF section name table is invalid");
  }
  std::vector<uint8_t> ext;
  std::map<size_t, size_t> code_of_index;  // ELF section index -> code_
  Elf_Scn* symtab = nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf.get(), nullptr); scn != nullptr;
       scn = elf_nextscn(elf.get(), scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) return Bad(name, "an ELF section header is unreadable");
    const char* sname = elf_strptr(elf.get(), shstrndx, sh.sh_name);
    if (sname == nullptr) return Bad(name, "an ELF section name is unreadable");
    if (sh.sh_type == SHT_SYMTAB) symtab = scn;
    const bool is_ext = strcmp(sname, ".BTF.ext") == 0;
    const bool is_code = sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) != 0;
    if (!is_ext && !is_code) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || (data->d_size != 0 && data->d_buf == nullptr)) {
      return Bad(name, absl::StrCat("section ", sname, " is unreadable"));
    }
    const uint8_t* d = static_cast<const uint8_t*>(data->d_buf);
    if (is_ext) {
      ext.assign(d, d + data->d_size);
      obj->ext_offset_ = static_cast<int64_t>(sh.sh_offset);
      continue;
    }
    if (data->d_size % sizeof(struct bpf_insn) != 0) {
      return Bad(name, absl::StrCat("code section ", sname, " is ", data->d_size,
                                    " bytes, not whole instructions"));
    }
    CodeSection code;
    code.name = sname;
    code.file_offset = sh.sh_offset;
    code.insns.resize(data->d_size / sizeof(struct bpf_insn));
    if (data->d_size != 0) memcpy(code.insns.data(), d, data->d_size);
    code_of_index[elf_ndxscn(scn)] = obj->code_.size();
    obj->code_.push_back(std::move(code));
  }
  if (symtab != nullptr) {
    Elf_Data* data = elf_getdata(symtab, nullptr);
    GElf_Shdr sh;
    gelf_getshdr(symtab, &sh);
    const size_t count = data != nullptr && sh.sh_entsize != 0 ? data->d_size / sh.sh_entsize : 0;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
      auto code = code_of_index.find(sym.st_shndx);
      if (code == code_of_index.end()) continue;
      const CodeSection& sec = obj->code_[code->second];
      const uint64_t bytes_in = sec.insns.size() * sizeof(struct bpf_insn);
      if (sym.st_value % sizeof(struct bpf_insn) != 0 || sym.st_value + sym.st_size > bytes_in) {
        return Bad(name, absl::StrCat("function symbol ", i, " lies outside its section ", sec.name));
      }
      const char* fname = elf_strptr(elf.get(), sh.sh_link, sym.st_name);
      obj->programs_.push_back(Program{fname != nullptr ? fname : "", sec.name,
                                       static_cast<uint32_t>(sym.st_value),
                                       static_cast<uint32_t>(sym.st_size)});
    }
  }
  std::sort(obj->programs_.begin(), obj->programs_.end(), [](const Program& a, const Program& b) {
    return std::tie(a.section, a.offset) < std::tie(b.section, b.offset);
  });
  absl::StatusOr<BtfExt> parsed = ParseBtfExt(ext, *obj->btf_, name);
  if (!parsed.ok()) return parsed.status();
  obj->ext_ = *std::move(parsed);
  // Every record names a code section the object has, and an instruction in it.
  for (const BtfExtSection<CoreRelo>& sec : obj->ext_.core_relos) {
    const size_t insns = obj->Instructions(sec.name).size();
    for (size_t i = 0; i < sec.records.size(); ++i) {
      if (sec.records[i].insn_off / sizeof(struct bpf_insn) >= insns) {
        return Bad(name, absl::StrCat(".BTF.ext: core_relo of section '", sec.name, "' record #",
                                      i, ": instruction offset ", sec.records[i].insn_off,
                                      " is past the section's ", insns, " instructions"));
      }
    }
  }
  return obj;
}

absl::Span<const struct bpf_insn> BpfObject::Instructions(absl::string_view section) const {
  for (const CodeSection& c : code_) {
    if (c.name == section) return c.insns;
  }
  return {};
}

int64_t BpfObject::SectionOffset(absl::string_view section) const {
  for (const CodeSection& c : code_) {
    if (c.name == section) return static_cast<int64_t>(c.file_offset);
  }
  return -1;
}

const BpfObject::Program* BpfObject::ProgramAt(absl::string_view section,
                                               uint32_t insn_off) const {
  for (const Program& p : programs_) {
    if (p.section == section && insn_off >= p.offset && insn_off < p.offset + p.size) return &p;
  }
  return nullptr;
}

}  // namespace btfreg
