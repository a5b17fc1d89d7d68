// core/btf_ext.h: the .BTF.ext section of a BPF ELF object, read and
// checked as the untrusted input it is.
//
// clang writes three kinds of records into .BTF.ext, each grouped by the
// code section it describes ("kprobe/do_exit", ".text"):
// - func_info: where each function starts, and its FUNC type;
// - line_info: the source line of instructions;
// - core_relo: CO-RE relocations: an instruction, a root type, and an
// access string ("0:1:3") saying what of the type it uses.
//
// The records are read by value into vectors (the section may be unaligned
// within the file), and each is checked against the object's own .BTF:
// section names are strings of it, type ids are in range, func_info names
// a FUNC, line_info strings are in its string section, and a CO-RE access
// string parses and fits its type (ParseLocalSpec in core/relocate.h
// checks the rest). A malformed section gives InvalidArgument naming the
// object, the subsection, the code section and the record.
//
//   absl::StatusOr<btfreg::BtfExt> ext = btfreg::ParseBtfExt(bytes, btf, "prog.bpf.o");
//   for (const btfreg::BtfExtSection<btfreg::CoreRelo>& sec : ext->core_relos) {
//     for (const btfreg::CoreRelo& r : sec.records) {
//       printf("%s +%u: %s of type %u\n", sec.name.c_str(), r.insn_off,
//              btfreg::CoreReloKindName(r.kind), r.type_id);
//     }
//   }

#ifndef BTFREG_CORE_BTF_EXT_H_
#define BTFREG_CORE_BTF_EXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "btf/btf.h"

namespace btfreg {

// The leading fields of the kernel's struct bpf_func_info, bpf_line_info
// and bpf_core_relo (linux/bpf.h); a record may be longer (a newer clang),
// and the rest is skipped, as libbpf does.
struct FuncInfo {
  uint32_t insn_off;  // bytes into the code section
  uint32_t type_id;   // a FUNC
};
struct LineInfo {
  uint32_t insn_off;
  uint32_t file_name_off;
  uint32_t line_off;
  uint32_t line_col;  // line << 10 | column
};
struct CoreRelo {
  uint32_t insn_off;        // bytes into the code section, a multiple of 8
  uint32_t type_id;         // the local root type, in the object's .BTF
  uint32_t access_str_off;  // "0:1:3", a string of the object's .BTF
  uint32_t kind;            // enum bpf_core_relo_kind
};

// libbpf's short name of a relocation kind ("byte_off", "field_exists",
// "enumval_value", ...), or "unknown".
const char* CoreReloKindName(uint32_t kind);

template <typename Record>
struct BtfExtSection {
  std::string name;  // the code section's name
  std::vector<Record> records;
};

struct BtfExt {
  std::vector<BtfExtSection<FuncInfo>> func_info;
  std::vector<BtfExtSection<LineInfo>> line_info;
  std::vector<BtfExtSection<CoreRelo>> core_relos;
  size_t core_relo_count() const;
};

// Reads `bytes` (the .BTF.ext section) against `btf` (the object's .BTF).
// `name` (the object) appears in errors. An empty section is an empty
// BtfExt.
absl::StatusOr<BtfExt> ParseBtfExt(absl::Span<const uint8_t> bytes, const Btf& btf,
                                   absl::string_view name);

}  // namespace btfreg

#endif  // BTFREG_CORE_BTF_EXT_H_
