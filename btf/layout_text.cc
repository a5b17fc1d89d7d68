// The renderers of btf/layout.h: pahole's text and JSON; and CDeclaration.

#include <bpf/btf.h>

#include <cstdarg>
#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "btf/json.h"
#include "btf/layout.h"

namespace btfreg {
namespace {

// pahole's column widths: the type column, less 8 per nesting level, and
// the name column (21 for a union printed on its own).
constexpr int kTypeSpacing = 26;
constexpr int kNameSpacing = 23;
constexpr int kUnionNameSpacing = 21;

std::string Tabs(int n) { return std::string(n, '\t'); }

// libbpf 1.1 writes an empty parameter list as "()"; bpftool and pahole,
// built on later versions, write "(void)". In a declaration "()" is nothing
// else.
std::string VoidParams(std::string text) {
  for (size_t at; (at = text.find("()")) != std::string::npos;) text.replace(at, 2, "(void)");
  return text;
}

std::string Plural(uint32_t n, const char* unit) {
  return absl::StrCat(n, " ", unit, n != 1 ? "s" : "");
}

// "type name" as pahole lays it out: the type left-justified in its column,
// then the name; arrays and function pointers wrap around the name.
// pahole writes a pointer to const with two spaces, "const struct cred  *",
// in a member's type and in a prototype's parameters alike.
std::string ConstPointers(const std::string& type) {
  std::string out;
  size_t start = 0;  // of the current declarator segment
  for (size_t i = 0; i <= type.size(); ++i) {
    if (i < type.size() && type[i] != '(' && type[i] != ')' && type[i] != ',') continue;
    absl::string_view seg(type.data() + start, i - start);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(seg);
    if (absl::StartsWith(trimmed, "const ") && absl::EndsWith(seg, " *") &&
        !absl::EndsWith(seg, "* *")) {
      absl::StrAppend(&out, seg.substr(0, seg.size() - 1), " *");
    } else {
      absl::StrAppend(&out, seg);
    }
    if (i < type.size()) out += type[i];
    start = i + 1;
  }
  return out;
}

// `flexible`: an array of 0 elements at the end of a struct, written "[]".
std::string Declarator(const Btf& btf, const LayoutMember& m, int type_spacing,
                       bool flexible) {
  absl::StatusOr<std::string> spelled = btf.TypeName(m.type_id);
  std::string type = spelled.ok() ? *spelled : absl::StrCat("<type ", m.type_id, ">");
  type = ConstPointers(VoidParams(type));
  // ... and a pointer to a pointer as "* *".
  for (size_t at; (at = type.find("**")) != std::string::npos;) type.insert(at + 1, " ");
  std::string before = type, after;
  if (size_t fp = type.find("(*)"); fp != std::string::npos) {
    before = type.substr(0, fp);
    after = absl::StrCat("(*", m.name, ")", type.substr(fp + 3));
  } else if (size_t dims = type.find('['); dims != std::string::npos) {
    before = type.substr(0, dims);
    std::string d = type.substr(dims);
    if (flexible && absl::StartsWith(d, "[0]")) d.replace(0, 3, "[]");
    after = absl::StrCat(m.name, d);
  } else {
    after = m.name;
  }
  while (!before.empty() && before.back() == ' ') before.pop_back();
  return absl::StrFormat("%-*s %s", type_spacing, before, after);
}

// "/* 126: 0  1 */" for a bitfield, "/*     0    24 */" otherwise.
std::string OffsetComment(const LayoutMember& m) {
  if (m.bitfield_size != 0) {
    return absl::StrFormat("/* %5u:%2u %2u */", m.offset, m.bitfield_offset, m.size);
  }
  return absl::StrFormat("/* %5u %5u */", m.offset, m.size);
}

class TextWriter {
 public:
  TextWriter(const Btf& btf, std::string& out) : btf_(btf), out_(out) {}

  // Members of `l` at `indent` tabs, then its closing brace.
  // `in_union`: some enclosing level is a union (no flexible arrays there).
  // `cacheline`: the last cacheline announced. A nested level starts from
  // its parent's and does not tell it what it announced (as pahole 1.24).
  // Returns the marker after the body.
  uint32_t Body(const Layout& l, int indent, int type_spacing, int name_spacing,
                bool in_union, uint32_t cacheline) {
    bool newline = false;
    auto comment = [&](const std::string& text) {
      if (!newline) out_ += "\n";
      newline = true;
      absl::StrAppend(&out_, "\n", Tabs(indent), text);
    };
    if (l.pre_bit_hole != 0) {
      comment(absl::StrCat("/* XXX ", Plural(l.pre_bit_hole, "bit"), " hole, try to pack */"));
      out_ += "\n";
    }
    if (l.pre_hole != 0) {
      comment(absl::StrCat("/* XXX ", Plural(l.pre_hole, "byte"), " hole, try to pack */"));
      out_ += "\n";
    }
    const LayoutMember* last = nullptr;
    uint32_t last_size = 0;
    for (const LayoutMember& m : l.members) {
      if (last != nullptr && last_size != 0 && !l.is_union) {
        Combined(*last, m, last_size, indent, type_spacing, newline);
      }
      if (newline) out_ += "\n";
      newline = false;
      out_ += Tabs(indent);
      Boundary(m.offset, indent, cacheline);
      if (m.nested != nullptr) {
        absl::StrAppend(&out_, m.qualifiers, m.nested->is_union ? "union {\n" : "struct {\n");
        // A struct in a struct shares pahole's cacheline marker with its
        // parent; a union, and each member of a union, works on a copy.
        const uint32_t after = Body(*m.nested, indent + 1, type_spacing - 8, name_spacing,
                                    in_union || l.is_union, cacheline);
        if (!m.nested->is_union && !l.is_union) cacheline = after;
        // pahole 1.24 prints a qualified anonymous type as a type of its
        // own: with its summary, and one space before the offsets.
        if (!m.qualifiers.empty() && !m.nested->is_union) Summary(*m.nested, indent + 1);
        const bool pointer = m.dims == " *";
        absl::StrAppend(&out_, Tabs(indent), "}", pointer ? " *" : "",
                        m.name.empty() ? "" : " ", m.name, pointer ? "" : m.dims, ";");
        const int slen = m.name.empty() ? -1 : static_cast<int>(m.name.size());
        const bool own_type = !m.qualifiers.empty() || !m.dims.empty();
        const int width = own_type ? 1 : type_spacing + name_spacing - slen - 3;
        absl::StrAppend(&out_, std::string(width > 1 ? width : 1, ' '), OffsetComment(m));
      } else {
        const bool flexible = !l.is_union && !in_union && &m == &l.members.back() &&
                              l.members.size() > 1;
        std::string text = Declarator(btf_, m, type_spacing, flexible);
        if (m.bitfield_size != 0) absl::StrAppend(&text, ":", m.bitfield_size);
        text += ";";
        const int spacing = type_spacing + name_spacing - static_cast<int>(text.size());
        absl::StrAppend(&out_, text, std::string(spacing > 1 ? spacing : 1, ' '),
                        OffsetComment(m));
      }
      if (m.type_padding != 0 && !l.is_union) {  // unions: none, as pahole 1.24
        comment(absl::StrCat("/* XXX last struct has ", Plural(m.type_padding, "byte"),
                             " of padding */"));
      }
      if (m.bit_hole != 0) {
        comment(absl::StrCat("/* XXX ", Plural(m.bit_hole, "bit"), " hole, try to pack */"));
      }
      if (m.hole != 0) {
        comment(absl::StrCat("/* XXX ", Plural(m.hole, "byte"), " hole, try to pack */"));
      }
      out_ += "\n";
      // What pahole remembers of the previous member for its comments.
      if (last == nullptr || last_size == 0 || last->offset != m.offset ||
          (last->bitfield_size == 0 && m.bitfield_size != 0)) {
        last_size = m.size;
      }
      last = &m;
    }
    return cacheline;
  }

  // pahole's notes between two members of a struct: an unnamed bitfield
  // that fills a bit hole (after "Force alignment" when the next bitfield
  // starts a new unit), and bitfields that share storage with their
  // neighbours.
  void Combined(const LayoutMember& last, const LayoutMember& m, uint32_t last_size,
                int indent, int type_spacing, bool& newline) {
    if (last.bit_hole != 0 && m.bitfield_size != 0) {
      uint32_t fill = last.bit_hole;
      if (last.offset != m.offset) {
        absl::StrAppend(&out_, "\n", Tabs(indent),
                        "/* Force alignment to the next boundary: */\n");
        fill = 0;
      }
      LayoutMember unnamed = m;
      unnamed.name = "";
      absl::StrAppend(&out_, Tabs(indent), Declarator(btf_, unnamed, type_spacing, false),
                      ":", fill, ";\n");
    }
    const char* note = nullptr;
    if (m.offset < last.offset ||
        (m.offset == last.offset && last.bitfield_size == 0 && m.bitfield_size != 0)) {
      note = "/* Bitfield combined with previous fields */";
    } else if (m.offset > last.offset && m.offset - last.offset < last_size) {
      note = "/* Bitfield combined with next fields */";
    }
    if (note == nullptr) return;
    if (!newline) out_ += "\n";
    newline = true;
    absl::StrAppend(&out_, Tabs(indent), note, "\n");
  }

  void Summary(const Layout& l, int indent) {
    const std::string t = Tabs(indent);
    absl::StrAppend(&out_, "\n", t, "/* size: ", l.size, ", cachelines: ", l.cachelines,
                    ", members: ", l.members.size(), " */\n");
    if (l.sum_holes > 0 || l.sum_bit_holes > 0) {
      if (l.sum_members > 0) {
        absl::StrAppend(&out_, t, "/* sum members: ", l.sum_members);
        if (l.sum_holes > 0) {
          absl::StrAppend(&out_, ", holes: ", l.holes, ", sum holes: ", l.sum_holes);
        }
        out_ += " */\n";
      }
      if (l.sum_bitfields > 0) {
        absl::StrAppend(&out_, t, "/* sum bitfield members: ", l.sum_bitfields, " bits");
        if (l.sum_bit_holes > 0) {
          absl::StrAppend(&out_, ", bit holes: ", l.bit_holes, ", sum bit holes: ",
                          l.sum_bit_holes, " bits");
        } else {
          absl::StrAppend(&out_, " (", l.sum_bitfields / 8, " bytes)");
        }
        out_ += " */\n";
      }
    }
    if (l.padding > 0) absl::StrAppend(&out_, t, "/* padding: ", l.padding, " */\n");
    if (l.paddings > 0) {
      absl::StrAppend(&out_, t, "/* paddings: ", l.paddings, ", sum paddings: ",
                      l.sum_paddings, " */\n");
    }
    if (l.bit_padding > 0) {
      absl::StrAppend(&out_, t, "/* bit_padding: ", l.bit_padding, " bits */\n");
    }
    if (l.last_cacheline != 0) {
      absl::StrAppend(&out_, t, "/* last cacheline: ", l.last_cacheline, " bytes */\n");
    }
  }

 private:
  // pahole's "--- cacheline N boundary ---" line, before the first member
  // at or past a new cacheline.
  void Boundary(uint32_t offset, int indent, uint32_t& cacheline) {
    const uint32_t line = offset / kCachelineBytes;
    if (line <= cacheline) return;
    const uint32_t pos = offset % kCachelineBytes;
    if (pos == 0) {
      absl::StrAppend(&out_, "/* --- cacheline ", line, " boundary (", offset,
                      " bytes) --- */\n");
    } else {
      absl::StrAppend(&out_, "/* --- cacheline ", line, " boundary (", offset - pos,
                      " bytes) was ", Plural(pos, "byte"), " ago --- */\n");
    }
    out_ += Tabs(indent);
    cacheline = line;
  }

  const Btf& btf_;
  std::string& out_;
};

void MemberJson(const Btf& btf, const LayoutMember& m, std::string& out);

void LayoutJsonInto(const Btf& btf, const Layout& l, std::string& out) {
  absl::StrAppend(&out, "{\"name\":", JsonQuote(l.name), ",\"kind\":\"",
                  l.is_union ? "union" : "struct", "\",\"type_id\":", l.type_id,
                  ",\"offset\":", l.offset, ",\"size\":", l.size, ",\"members\":[");
  for (size_t i = 0; i < l.members.size(); ++i) {
    if (i != 0) out += ",";
    MemberJson(btf, l.members[i], out);
  }
  absl::StrAppend(&out, "],\"pre_hole\":", l.pre_hole, ",\"pre_bit_hole\":", l.pre_bit_hole,
                  ",\"summary\":{\"size\":", l.size, ",\"cachelines\":", l.cachelines,
                  ",\"members\":", l.members.size(), ",\"sum_members\":", l.sum_members,
                  ",\"sum_bitfield_bits\":", l.sum_bitfields, ",\"holes\":", l.holes,
                  ",\"sum_holes\":", l.sum_holes, ",\"bit_holes\":", l.bit_holes,
                  ",\"sum_bit_holes\":", l.sum_bit_holes, ",\"padding\":", l.padding,
                  ",\"bit_padding\":", l.bit_padding, ",\"paddings\":", l.paddings,
                  ",\"sum_paddings\":", l.sum_paddings, ",\"last_cacheline\":",
                  l.last_cacheline, "}}");
}

void MemberJson(const Btf& btf, const LayoutMember& m, std::string& out) {
  absl::StatusOr<std::string> type = btf.TypeName(m.type_id);
  absl::StrAppend(&out, "{\"name\":", JsonQuote(m.name), ",\"type\":",
                  JsonQuote(type.ok() ? *type : ""), ",\"type_id\":", m.type_id,
                  ",\"offset\":", m.offset, ",\"size\":", m.size);
  if (m.bitfield_size != 0) {
    absl::StrAppend(&out, ",\"bitfield_offset\":", m.bitfield_offset,
                    ",\"bitfield_size\":", m.bitfield_size);
  }
  absl::StrAppend(&out, ",\"hole\":", m.hole, ",\"bit_hole\":", m.bit_hole);
  if (m.nested != nullptr) {
    out += ",\"nested\":";
    LayoutJsonInto(btf, *m.nested, out);
  }
  out += "}";
}

// The most padding a struct or union may have for CDeclaration to write it
// (vmlinux's largest struct is 236 KiB in all; the kernel accepts 4 GiB of
// padding, which btf_dump would spell as 512 M lines).
constexpr uint64_t kMaxDeclaredPadding = 256u << 10;

// Bytes of a struct or union that btf_dump spells as padding: the gaps
// between one member's end and the next member's start, and the tail.
// 0 for other kinds.
uint64_t PaddingBytes(const Btf& btf, uint32_t id) {
  const int kind = btf.kind(id);
  if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION) return 0;
  absl::StatusOr<std::vector<Member>> members = btf.Members(id);
  if (!members.ok()) return 0;
  uint64_t gaps = 0, end = 0;  // in bits
  for (const Member& m : *members) {
    absl::StatusOr<uint32_t> size = btf.ResolvedSize(m.type_id);
    const uint64_t bits = m.bitfield_size ? m.bitfield_size : (size.ok() ? *size : 0) * 8ull;
    const uint64_t start = kind == BTF_KIND_UNION ? 0 : m.bit_offset;
    if (start > end) gaps += start - end;
    end = std::max(end, start + bits);
  }
  const uint64_t size_bits = uint64_t{btf.raw_size(id)} * 8;
  if (size_bits > end) gaps += size_bits - end;
  return gaps / 8;
}

// The longest text CDeclaration writes (the whole of vmlinux, every type,
// is about 3 MiB). Hostile BTF can make btf_dump write far more; past this,
// output is dropped (cheaply) and the declaration fails.
constexpr size_t kMaxDeclaration = 8u << 20;

// btf_dump's output.
struct DumpSink {
  std::string text;
  bool overflow = false;
};

void SinkPrintf(void* ctx, const char* fmt, va_list args) {
  auto* sink = static_cast<DumpSink*>(ctx);
  if (sink->text.size() > kMaxDeclaration) {
    sink->overflow = true;
    return;
  }
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return;
  const size_t at = sink->text.size();
  sink->text.resize(at + n + 1);
  vsnprintf(&sink->text[at], n + 1, fmt, args);
  sink->text.resize(at + n);
}


// What `id` refers to directly (members, elements, targets, parameters).
std::vector<uint32_t> Refs(const Btf& btf, uint32_t id) {
  const struct btf_type* t = btf.type(id);
  std::vector<uint32_t> out;
  if (t == nullptr) return out;
  if (btf_is_composite(t)) {
    const struct btf_member* m = btf_members(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i) out.push_back(m[i].type);
  } else if (btf_is_array(t)) {
    out.push_back(btf_array(t)->type);
  } else if (btf_is_func_proto(t)) {
    out.push_back(t->type);
    const struct btf_param* p = btf_params(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i) out.push_back(p[i].type);
  } else if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t) ||
             btf_is_type_tag(t)) {
    out.push_back(t->type);
  }
  return out;
}

}  // namespace

std::string LayoutText(const Btf& btf, const Layout& layout) {
  std::string out = absl::StrCat(layout.is_union ? "union" : "struct",
                                 layout.name.empty() ? "" : " ", layout.name, " {\n");
  TextWriter w(btf, out);
  w.Body(layout, 1, kTypeSpacing, layout.is_union ? kUnionNameSpacing : kNameSpacing,
         /*in_union=*/false, /*cacheline=*/0);
  if (!layout.is_union) w.Summary(layout, 1);  // pahole 1.24 sums up structs only
  out += "};\n";
  return out;
}

std::string LayoutJson(const Btf& btf, const Layout& layout) {
  std::string out;
  LayoutJsonInto(btf, layout, out);
  return out;
}

absl::StatusOr<std::string> CDeclaration(const Btf& btf, uint32_t id,
                                         bool dependencies) {
  if (id == 0 || !btf.valid_id(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(btf.name(), ": no type ", id, " to declare"));
  }
  const int kind = btf.kind(id);
  const bool declarable = kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
                          kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64 ||
                          kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_FWD;
  if (!declarable || btf.type_name(id).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": type ", id, " (", KindName(kind),
        ") has no declaration of its own; bpftool writes only named structs, "
        "unions, enums and typedefs"));
  }
  // btf_dump recurses without bound on types that no C can spell: nothing
  // the declaration reaches may be one.
  std::vector<bool> seen(btf.type_count(), false);
  for (std::vector<uint32_t> stack = {id}; !stack.empty();) {
    const uint32_t t = stack.back();
    stack.pop_back();
    if (t == 0 || !btf.valid_id(t) || seen[t]) continue;
    seen[t] = true;
    if (btf.Unspellable(t)) {
      return absl::InvalidArgumentError(absl::StrCat(
          btf.name(), ": type ", id, " reaches type ", t,
          ", which no C declaration can spell (a prototype that takes itself)"));
    }
    if (const uint64_t pad = PaddingBytes(btf, t); pad > kMaxDeclaredPadding) {
      return absl::InvalidArgumentError(absl::StrCat(
          btf.name(), ": type ", id, " reaches type ", t, " with ", pad,
          " bytes of padding; btf_dump writes a line per 8 of them, so "
          "declarations stop at ", kMaxDeclaredPadding >> 10, " KiB"));
    }
    for (uint32_t r : Refs(btf, t)) stack.push_back(r);
  }
  DumpSink sink;
  struct btf_dump* d = btf_dump__new(btf.libbpf_btf(), SinkPrintf, &sink, nullptr);
  if (d == nullptr) {
    return absl::InternalError(absl::StrCat(btf.name(), ": btf_dump__new failed"));
  }
  // btf_dump writes what the type needs first, then the type: each
  // declaration ends with a blank line and none has one inside.
  const int err = btf_dump__dump_type(d, id);
  btf_dump__free(d);
  if (err != 0) {
    return absl::InternalError(absl::StrCat(btf.name(), ": btf_dump of type ", id,
                                            " failed (", err, ")"));
  }
  if (sink.overflow) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": the C declaration of type ", id, " runs past ",
        kMaxDeclaration >> 20, " MiB"));
  }
  std::string text = VoidParams(std::move(sink.text));
  // libbpf 1.1 sizes a small enum with a mode attribute; bpftool's libbpf
  // writes the enum plain.
  for (const char* mode : {" __attribute__((mode(byte)))", " __attribute__((mode(HI)))",
                           " __attribute__((mode(word)))", " __attribute__((mode(SI)))"}) {
    for (size_t at; (at = text.find(mode)) != std::string::npos;) text.erase(at, strlen(mode));
  }
  if (!dependencies) {
    const size_t end = text.size() >= 2 ? text.size() - 2 : 0;  // its own "\n\n"
    const size_t start = text.rfind("\n\n", end == 0 ? 0 : end - 1);
    if (start != std::string::npos && start < end) text.erase(0, start + 2);
  }
  return text;
}

}  // namespace btfreg
