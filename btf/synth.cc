#include "btf/synth.h"

#include <bpf/btf.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/libbpf_status.h"

namespace btfreg {

absl::StatusOr<std::unique_ptr<ModuleSynth>> ModuleSynth::Create(
    absl::Span<const uint8_t> base_bytes) {
  // Validates the base the same way a load would.
  auto check = Btf::LoadBytes(base_bytes, "synth base");
  if (!check.ok()) return check.status();
  LibbpfLog log;
  struct btf* base = btf__new(base_bytes.data(), base_bytes.size());
  if (base == nullptr) return LibbpfError("synth base", "btf__new", errno, log);
  return std::unique_ptr<ModuleSynth>(new ModuleSynth(base));
}

absl::StatusOr<std::unique_ptr<ModuleSynth>> ModuleSynth::CreateFromFile(
    absl::string_view path) {
  LibbpfLog log;
  struct btf* base = btf__parse(std::string(path).c_str(), nullptr);
  if (base == nullptr) return LibbpfError(path, "btf__parse", errno, log);
  return std::unique_ptr<ModuleSynth>(new ModuleSynth(base));
}

ModuleSynth::~ModuleSynth() { btf__free(base_); }

absl::StatusOr<std::vector<uint8_t>> ModuleSynth::Make(absl::string_view name,
                                                       int structs) {
  if (structs < 1) structs = 1;
  struct btf* w = btf__new_empty_split(base_);
  if (w == nullptr) {
    return absl::ResourceExhaustedError("btf__new_empty_split failed");
  }
  auto find = [&](const char* n, int kind) {
    int id = btf__find_by_name_kind(base_, n, kind);
    return id > 0 ? id : 0;
  };
  int list_head = find("list_head", BTF_KIND_STRUCT);
  int task = find("task_struct", BTF_KIND_STRUCT);
  // Module-local basic types (modules carry their own where dedup fails).
  int u32 = btf__add_int(w, "unsigned int", 4, 0);
  int s32 = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  int u64 = btf__add_int(w, "long long unsigned int", 8, 0);
  int chr = btf__add_int(w, "char", 1, BTF_INT_CHAR);
  int tag = btf__add_array(w, s32, chr, 8);
  int parts = btf__add_struct(w, "", 8);
  btf__add_field(w, "lo", u32, 0, 0);
  btf__add_field(w, "hi", u32, 32, 0);
  int raw_union = btf__add_union(w, "", 8);
  btf__add_field(w, "raw", u64, 0, 0);
  btf__add_field(w, "parts", parts, 0, 0);
  // Struct i is followed by its `next` pointer type, so struct i+1 is at
  // self + 2.
  for (int i = 0; i < structs; ++i) {
    std::string sname = absl::StrCat(name, "_obj", i);
    int self = btf__add_struct(w, sname.c_str(), 48);
    int next_ptr = self + 1;
    if (list_head != 0) {
      btf__add_field(w, "list", list_head, 0, 0);
    } else {
      btf__add_field(w, "list", u64, 0, 0);
    }
    btf__add_field(w, "next", next_ptr, 128, 0);
    btf__add_field(w, "id", s32, 192, 0);
    btf__add_field(w, "tag", tag, 224, 0);
    btf__add_field(w, "", raw_union, 320, 0);
    int target = i + 1 < structs ? self + 2 : task;  // 0 is void
    int ptr = btf__add_ptr(w, target);
    if (ptr != next_ptr) {
      btf__free(w);
      return absl::InternalError("synth: unexpected type id layout");
    }
  }
  uint32_t size = 0;
  const uint8_t* raw = static_cast<const uint8_t*>(btf__raw_data(w, &size));
  if (raw == nullptr) {
    btf__free(w);
    return absl::ResourceExhaustedError("btf__raw_data failed");
  }
  std::vector<uint8_t> out(raw, raw + size);
  btf__free(w);
  return out;
}

}  // namespace btfreg
