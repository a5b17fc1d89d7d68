#include "core/btf_ext.h"

#include <linux/bpf.h>
#include <linux/btf.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/spec.h"

namespace btfreg {
namespace {

constexpr uint16_t kMagic = 0xeB9F;

// struct btf_ext_header of libbpf (libbpf_internal.h): the first 24 bytes
// always, core_relo_off/len when hdr_len says so.
constexpr size_t kMinHeader = 24;
constexpr size_t kHeaderWithCoreRelo = 32;

uint32_t U32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

class Reader {
 public:
  Reader(absl::Span<const uint8_t> bytes, const Btf& btf, absl::string_view name)
      : bytes_(bytes), btf_(btf), name_(name) {}

  absl::Status Bad(absl::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ": .BTF.ext: ", problem));
  }

  // A subsection: [off, off + len) past the header, record_size first, then
  // groups of {sec_name_off, num_info, records}. `decode(section, record
  // bytes, index)` reads and checks one record.
  template <typename Record, typename Decode>
  absl::Status Subsection(const char* what, uint32_t hdr_len, uint32_t off, uint32_t len,
                          size_t min_record, Decode decode,
                          std::vector<BtfExtSection<Record>>* out) {
    if (len == 0) return absl::OkStatus();
    if (off % 4 != 0) return Bad(absl::StrCat(what, " at offset ", off, " is not 4-byte aligned"));
    if (uint64_t{hdr_len} + off + len > bytes_.size()) {
      return Bad(absl::StrCat(what, " (offset ", off, ", ", len, " bytes) ends past the section (",
                              bytes_.size() - hdr_len, " bytes after the header)"));
    }
    const uint8_t* p = bytes_.data() + hdr_len + off;
    const uint8_t* end = p + len;
    if (len < 4) return Bad(absl::StrCat(what, " has no record size"));
    const uint32_t record_size = U32(p);
    p += 4;
    if (record_size < min_record || record_size % 4 != 0) {
      return Bad(absl::StrCat(what, " record size ", record_size, " is invalid (at least ",
                              min_record, ", a multiple of 4)"));
    }
    while (p < end) {
      if (end - p < 8) return Bad(absl::StrCat(what, ": a section header is cut short"));
      const uint32_t name_off = U32(p);
      const uint32_t count = U32(p + 4);
      p += 8;
      const char* sec = btf_.str(name_off);
      if (sec == nullptr || *sec == '\0') {
        return Bad(absl::StrCat(what, ": section name offset ", name_off,
                                " is not a name in the object's .BTF"));
      }
      if (count == 0) return Bad(absl::StrCat(what, " of section '", sec, "' has no records"));
      if (uint64_t{count} * record_size > static_cast<uint64_t>(end - p)) {
        return Bad(absl::StrCat(what, " of section '", sec, "': ", count, " records of ",
                                record_size, " bytes run past the subsection"));
      }
      BtfExtSection<Record> s;
      s.name = sec;
      s.records.reserve(count);
      for (uint32_t i = 0; i < count; ++i, p += record_size) {
        Record r;
        memcpy(&r, p, sizeof(r));
        if (absl::Status st = decode(s.name, r, i); !st.ok()) return st;
        s.records.push_back(r);
      }
      out->push_back(std::move(s));
    }
    return absl::OkStatus();
  }

  absl::Status BadRecord(const char* what, absl::string_view sec, uint32_t i,
                         absl::string_view problem) const {
    return Bad(absl::StrCat(what, " of section '", sec, "' record #", i, ": ", problem));
  }

  absl::Status InsnOff(const char* what, absl::string_view sec, uint32_t i, uint32_t off) const {
    if (off % sizeof(struct bpf_insn) == 0) return absl::OkStatus();
    return BadRecord(what, sec, i, absl::StrCat("instruction offset ", off,
                                                " is not a multiple of 8"));
  }

  absl::Status Parse(BtfExt* out) {
    if (bytes_.empty()) return absl::OkStatus();
    if (bytes_.size() < kMinHeader) {
      return Bad(absl::StrCat("header cut short: ", bytes_.size(), " bytes, at least ",
                              kMinHeader, " needed"));
    }
    uint16_t magic;
    memcpy(&magic, bytes_.data(), 2);
    if (magic == __builtin_bswap16(kMagic)) return Bad("in the other byte order (not supported)");
    if (magic != kMagic) return Bad(absl::StrCat("bad magic 0x", absl::Hex(magic)));
    if (bytes_[2] != 1) return Bad(absl::StrCat("unsupported version ", int{bytes_[2]}));
    if (bytes_[3] != 0) return Bad(absl::StrCat("unsupported flags 0x", absl::Hex(bytes_[3])));
    const uint32_t hdr_len = U32(bytes_.data() + 4);
    if (hdr_len < kMinHeader || hdr_len > bytes_.size() || hdr_len % 4 != 0) {
      return Bad(absl::StrCat("header length ", hdr_len, " is invalid (section of ",
                              bytes_.size(), " bytes)"));
    }
    const uint8_t* h = bytes_.data();
    absl::Status s = Subsection<FuncInfo>(
        "func_info", hdr_len, U32(h + 8), U32(h + 12), sizeof(struct bpf_func_info),
        [&](absl::string_view sec, const FuncInfo& r, uint32_t i) -> absl::Status {
          if (absl::Status st = InsnOff("func_info", sec, i, r.insn_off); !st.ok()) return st;
          if (btf_.kind(r.type_id) != BTF_KIND_FUNC) {
            return BadRecord("func_info", sec, i,
                             absl::StrCat("type ", r.type_id, " is not a FUNC"));
          }
          return absl::OkStatus();
        },
        &out->func_info);
    if (!s.ok()) return s;
    s = Subsection<LineInfo>(
        "line_info", hdr_len, U32(h + 16), U32(h + 20), sizeof(struct bpf_line_info),
        [&](absl::string_view sec, const LineInfo& r, uint32_t i) -> absl::Status {
          if (absl::Status st = InsnOff("line_info", sec, i, r.insn_off); !st.ok()) return st;
          if (btf_.str(r.file_name_off) == nullptr || btf_.str(r.line_off) == nullptr) {
            return BadRecord("line_info", sec, i,
                             "file or line string past the object's .BTF strings");
          }
          return absl::OkStatus();
        },
        &out->line_info);
    if (!s.ok() || hdr_len < kHeaderWithCoreRelo) return s;
    return Subsection<CoreRelo>(
        "core_relo", hdr_len, U32(h + 24), U32(h + 28), sizeof(struct bpf_core_relo),
        [&](absl::string_view sec, const CoreRelo& r, uint32_t i) -> absl::Status {
          if (absl::Status st = InsnOff("core_relo", sec, i, r.insn_off); !st.ok()) return st;
          absl::StatusOr<CoreSpec> spec = ParseLocalSpec(btf_, r);
          if (!spec.ok()) return BadRecord("core_relo", sec, i, spec.status().message());
          return absl::OkStatus();
        },
        &out->core_relos);
  }

 private:
  absl::Span<const uint8_t> bytes_;
  const Btf& btf_;
  absl::string_view name_;
};

}  // namespace

size_t BtfExt::core_relo_count() const {
  size_t n = 0;
  for (const auto& s : core_relos) n += s.records.size();
  return n;
}

absl::StatusOr<BtfExt> ParseBtfExt(absl::Span<const uint8_t> bytes, const Btf& btf,
                                   absl::string_view name) {
  BtfExt out;
  absl::Status s = Reader(bytes, btf, name).Parse(&out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace btfreg
