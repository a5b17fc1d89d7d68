// core/bpf_object.h: a BPF ELF object (clang -target bpf -g) as CO-RE
// relocation reads it: its .BTF, its .BTF.ext, its code sections and the
// programs (function symbols) in them.
//
//   absl::StatusOr<std::unique_ptr<btfreg::BpfObject>> obj =
//       btfreg::BpfObject::Load("prog.bpf.o");
//   const btfreg::Btf& types = (*obj)->btf();        // its own types, validated
//   size_t relos = (*obj)->ext().core_relo_count();  // its CO-RE relocations (btf_ext.h)
//
// The file is untrusted: a malformed ELF, .BTF or .BTF.ext gives
// InvalidArgument naming the file and the problem.

#ifndef BTFREG_CORE_BPF_OBJECT_H_
#define BTFREG_CORE_BPF_OBJECT_H_

#include <linux/bpf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "btf/btf.h"
#include "core/btf_ext.h"

namespace btfreg {

class BpfObject {
 public:
  // A function in a code section: its symbol, its first byte and length.
  struct Program {
    std::string name;
    std::string section;
    uint32_t offset = 0;  // bytes into the section
    uint32_t size = 0;    // bytes
  };

  static absl::StatusOr<std::unique_ptr<BpfObject>> Load(absl::string_view path);
  // `bytes` is copied; `name` appears in errors.
  static absl::StatusOr<std::unique_ptr<BpfObject>> LoadBytes(absl::Span<const uint8_t> bytes,
                                                              absl::string_view name);

  const std::string& name() const { return name_; }
  const Btf& btf() const { return *btf_; }
  const BtfExt& ext() const { return ext_; }
  // The instructions of a code section, empty if there is none.
  absl::Span<const struct bpf_insn> Instructions(absl::string_view section) const;
  // The program of `section` whose code holds byte `insn_off`, or nullptr.
  const Program* ProgramAt(absl::string_view section, uint32_t insn_off) const;
  const std::vector<Program>& programs() const { return programs_; }

  // The object's bytes as read.
  const std::vector<uint8_t>& image() const { return image_; }
  // Where a code section's bytes, and the .BTF.ext section's, start in
  // image(); -1 when there is no such section.
  int64_t SectionOffset(absl::string_view section) const;
  int64_t BtfExtOffset() const { return ext_offset_; }

 private:
  struct CodeSection {
    std::string name;
    std::vector<struct bpf_insn> insns;
    uint64_t file_offset = 0;
  };
  BpfObject() = default;

  std::vector<uint8_t> image_;
  int64_t ext_offset_ = -1;
  std::string name_;
  std::unique_ptr<Btf> btf_;
  BtfExt ext_;
  std::vector<CodeSection> code_;
  std::vector<Program> programs_;  // by section, then offset
};

}  // namespace btfreg

#endif  // BTFREG_CORE_BPF_OBJECT_H_
