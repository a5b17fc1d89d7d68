// The renderers of btf/layout.h: pahole's text and JSON.

#include <bpf/btf.h>

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "btf/json.h"
#include "btf/layout.h"
#include "btf/spelling.h"

namespace btfreg {
namespace {

// pahole's column widths: the type column, less 8 per nesting level, and
// the name column (21 for a union printed on its own).
constexpr int kTypeSpacing = 26;
constexpr int kNameSpacing = 23;
constexpr int kUnionNameSpacing = 21;

std::string Tabs(int n) { return std::string(n, '\t'); }


std::string Plural(uint32_t n, const char* unit) {
  return absl::StrCat(n, " ", unit, n != 1 ? "s" : "");
}

// "type name" as pahole lays it out: the type left-justified in its column,
// then the name; arrays and function pointers wrap around the name.
// pahole writes a pointer to const with two spaces before its first star,
// "const struct cred  *", "const char  * const *", in a member's type and in
// a prototype's parameters alike.
std::string ConstPointers(const std::string& type) {
  std::string out;
  size_t start = 0;  // of the current declarator segment
  for (size_t i = 0; i <= type.size(); ++i) {
    if (i < type.size() && type[i] != '(' && type[i] != ')' && type[i] != ',') continue;
    absl::string_view seg(type.data() + start, i - start);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(seg);
    const size_t star = seg.find(" *");
    if (absl::StartsWith(trimmed, "const ") && star != absl::string_view::npos) {
      absl::StrAppend(&out, seg.substr(0, star), " ", seg.substr(star));
    } else {
      absl::StrAppend(&out, seg);
    }
    // A parameter qualified at its top ("const gfp_t", "int * restrict")
    // pahole ends with a space: "(const gfp_t )".
    const bool param = i < type.size() && (type[i] == ',' || type[i] == ')') &&
                       start > 0 && (type[start - 1] == '(' || type[start - 1] == ',');
    if (param && !trimmed.empty() && trimmed[0] != '*') {
      const bool top_qualified =
          absl::EndsWith(trimmed, " restrict") || absl::EndsWith(trimmed, " volatile") ||
          ((absl::StartsWith(trimmed, "const ") || absl::StartsWith(trimmed, "volatile ")) &&
           star == absl::string_view::npos);
      if (top_qualified) out += " ";
    }
    if (i < type.size()) out += type[i];
    start = i + 1;
  }
  return out;
}

// pahole pads a struct, union or enum type as its keyword, a space, and the
// tag name in the rest of the column: the same as padding the whole, but for
// deep levels, where the column is narrower than the keyword and C's printf
// takes the negative width as a positive one ("struct uio_meta      meta").
std::string PadType(const std::string& type, int type_spacing) {
  for (absl::string_view tag : {"struct ", "union ", "enum "}) {
    if (!absl::StartsWith(type, tag) || type.find(' ', tag.size()) != std::string::npos) continue;
    const int width = type_spacing - static_cast<int>(tag.size());
    return absl::StrFormat("%s%-*s", tag, width < 0 ? -width : width,
                           absl::string_view(type).substr(tag.size()));
  }
  return absl::StrFormat("%-*s", type_spacing, type);
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
  const size_t fp = type.find("(*");
  const size_t fp_end = fp == std::string::npos ? fp : type.find(')', fp);
  if (fp_end != std::string::npos) {
    // "(*)" or "(* const)": the name goes inside, after the qualifiers.
    const std::string quals = type.substr(fp + 2, fp_end - fp - 2);
    before = type.substr(0, fp);
    after = absl::StrCat("(*", quals, quals.empty() ? "" : " ", m.name, ")",
                         type.substr(fp_end + 1));
  } else if (size_t dims = type.find('['); dims != std::string::npos) {
    before = type.substr(0, dims);
    std::string d = type.substr(dims);
    if (flexible && absl::StartsWith(d, "[0]")) d.replace(0, 3, "[]");
    after = absl::StrCat(m.name, d);
  } else {
    after = m.name;
  }
  while (!before.empty() && before.back() == ' ') before.pop_back();
  return absl::StrCat(PadType(before, type_spacing), " ", after);
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
    // A hole before the first member: one blank line before it, one after.
    if (l.pre_bit_hole != 0) {
      absl::StrAppend(&out_, "\n", Tabs(indent), "/* XXX ", Plural(l.pre_bit_hole, "bit"),
                      " hole, try to pack */\n");
      newline = true;
    }
    if (l.pre_hole != 0) {
      absl::StrAppend(&out_, "\n", Tabs(indent), "/* XXX ", Plural(l.pre_hole, "byte"),
                      " hole, try to pack */\n");
      newline = true;
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
      // An array of 0 elements as the last of several struct members, not
      // in any union: a flexible array, written "[]".
      const bool flexible = !l.is_union && !in_union && &m == &l.members.back() &&
                            l.members.size() > 1;
      if (m.nested != nullptr) {
        absl::StrAppend(&out_, m.qualifiers, m.nested->is_union ? "union {\n" : "struct {\n");
        // pahole prints a pointer to an anonymous type through its pointer
        // printer, which narrows the type column by 8 more, and a qualified
        // one after its qualifiers, which take their length off it.
        const int narrower = (m.dims == " *" ? 16 : 8) + static_cast<int>(m.qualifiers.size());
        // A struct in a struct shares pahole's cacheline marker with its
        // parent; a union, and each member of a union, works on a copy.
        const uint32_t after = Body(*m.nested, indent + 1, type_spacing - narrower,
                                    name_spacing, in_union || l.is_union, cacheline);
        if (!m.nested->is_union && !l.is_union) cacheline = after;
        // pahole 1.24 prints a qualified anonymous type as a type of its
        // own: with its summary, and one space before the offsets.
        if (!m.qualifiers.empty() && !m.nested->is_union) Summary(*m.nested, indent + 1);
        const bool pointer = m.dims == " *";
        std::string dims = pointer ? "" : m.dims;
        if (flexible && absl::StartsWith(dims, "[0]")) dims.replace(0, 3, "[]");
        absl::StrAppend(&out_, Tabs(indent), "}", pointer ? " *" : "",
                        m.name.empty() ? "" : " ", m.name, dims, ";");
        const int slen = m.name.empty() ? -1 : static_cast<int>(m.name.size());
        const bool own_type = !m.qualifiers.empty() || !m.dims.empty();
        const int width = own_type ? 1 : type_spacing + name_spacing - slen - 3;
        absl::StrAppend(&out_, std::string(width > 1 ? width : 1, ' '), OffsetComment(m));
      } else if (const uint32_t e = AnonymousEnum(m); e != 0) {
        // pahole writes an anonymous enum out, its values a level further in
        // and aligned, then closes it as it closes an anonymous struct.
        EnumBody(e, indent + 1);
        std::string name = m.name;
        if (m.bitfield_size != 0) absl::StrAppend(&name, ":", m.bitfield_size);
        absl::StrAppend(&out_, Tabs(indent), "} ", name, ";");
        // As for a struct: the width counts the name, not its bit count.
        const int width = type_spacing + name_spacing - static_cast<int>(m.name.size()) - 3;
        absl::StrAppend(&out_, std::string(width > 1 ? width : 1, ' '), OffsetComment(m));
      } else {
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
  // The anonymous enum a plain member is declared with (no array, no
  // pointer: those pahole spells on one line), or 0.
  uint32_t AnonymousEnum(const LayoutMember& m) const {
    const uint32_t id = btf_.SkipModifiers(m.type_id);
    const int kind = btf_.kind(id);
    if ((kind != BTF_KIND_ENUM && kind != BTF_KIND_ENUM64) || !btf_.type_name(id).empty()) {
      return 0;
    }
    return id;
  }

  // "enum {", then one line per value, names padded to the longest. Values
  // are signed where BTF says the enum is (pahole 1.24 prints them all
  // unsigned; bpftool, and btfreg, follow the flag).
  void EnumBody(uint32_t id, int indent) {
    const struct btf_type* t = btf_.type(id);
    const uint32_t vlen = btf_vlen(t);
    const bool is64 = btf_is_enum64(t);
    auto name = [&](uint32_t i) -> absl::string_view {
      const uint32_t off = is64 ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;
      return btf_.str(off);
    };
    size_t width = 0;
    for (uint32_t i = 0; i < vlen; ++i) width = std::max(width, name(i).size());
    out_ += "enum {\n";
    for (uint32_t i = 0; i < vlen; ++i) {
      std::string value;
      if (is64) {
        const uint64_t v = btf_enum64_value(btf_enum64(t) + i);
        value = btf_kflag(t) ? absl::StrCat(static_cast<int64_t>(v)) : absl::StrCat(v);
      } else {
        const int32_t v = btf_enum(t)[i].val;
        value = btf_kflag(t) ? absl::StrCat(v) : absl::StrCat(static_cast<uint32_t>(v));
      }
      absl::StrAppend(&out_, Tabs(indent), absl::StrFormat("%-*s", width, name(i)), " = ",
                      value, ",\n");
    }
  }

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

}  // namespace btfreg
