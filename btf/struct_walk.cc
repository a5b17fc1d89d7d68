// Btf::StructWalk: what an access of `size` bytes at `offset` into a struct
// reaches, following the kernel's btf_struct_walk() (kernel/bpf/btf.c):
// members are scanned in order, the first one covering the offset decides,
// nested structs and unions are entered, arrays are linearised to an element
// index, and a pointer member must be read whole.

#include <bpf/btf.h>

#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/type_table.h"
#include "btf/validate.h"

namespace btfreg {
namespace {

// How one member relates to the access.
enum class Verdict {
  kMiss,     // does not cover the offset: try the next member
  kStop,     // the offset lies before this member (a hole): stop scanning
  kDecided,  // this member decides; see the status
};

}  // namespace

std::string Btf::StructLabel(uint32_t id) const {
  const absl::string_view name = type_name(id);
  if (!name.empty()) return std::string(name);
  return absl::StrCat("the anonymous ", kind(id) == BTF_KIND_UNION ? "union" : "struct",
                      " (type ", id, ")");
}

// StructWalkAll's candidates, and how many more union members it may try.
struct Btf::WalkAll {
  std::vector<WalkResult> results;
  uint32_t visits_left = kMaxWalkVisits;
  bool Full() const { return results.size() >= kMaxWalkCandidates || visits_left == 0; }
  void Add(const WalkResult& r) {
    if (results.size() < kMaxWalkCandidates) results.push_back(r);
  }
};

absl::StatusOr<WalkResult> Btf::StructWalk(uint32_t struct_id, uint32_t offset,
                                           uint32_t size, WalkMode mode) const {
  WalkResult result;
  absl::Status s = Walk(struct_id, offset, size, mode, /*in_union=*/false, result, nullptr);
  if (!s.ok()) return s;
  return result;
}

std::vector<WalkResult> Btf::StructWalkAll(uint32_t struct_id, uint32_t offset,
                                           uint32_t size, WalkMode mode) const {
  WalkAll all;
  WalkResult partial;
  Walk(struct_id, offset, size, mode, /*in_union=*/false, partial, &all).IgnoreError();
  return std::move(all.results);
}

// Resolves the access inside `sid`, whose start lies `r.member_offset` bytes
// into the outermost struct. With `all`, every union member that covers the
// offset is explored and each success appended; otherwise the first
// covering member decides and `r` is the answer.
absl::Status Btf::Walk(uint32_t sid, uint32_t off, uint32_t size, WalkMode mode,
                       bool in_union, WalkResult& r, WalkAll* all) const {
  for (int depth = 0; depth < kMaxNesting; ++depth) {
    const struct btf_type* t = type(sid);
    if (t == nullptr) {
      return absl::NotFoundError(absl::StrCat(name_, ": type id ", sid,
                                              " out of range (", type_count_,
                                              " types)"));
    }
    if (!btf_is_composite(t)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ": type ", sid, " (", KindName(btf_kind(t)),
                       " '", type_name(sid), "') is not a struct or union"));
    }
    const uint32_t vlen = btf_vlen(t);
    const bool ordered = ordered_struct(sid);
    if (btf_is_union(t)) in_union = true;  // for this level and the ones below
    if (uint64_t{off} + size > t->size) {
      // A flexible array as the last member may be indexed past the end.
      const struct btf_type* last =
          vlen ? type(SkipModsAndTypedefs(btf_members(t)[vlen - 1].type))
               : nullptr;
      const uint32_t moff =
          vlen ? btf_member_bit_offset(t, vlen - 1) / 8 : 0;
      if (last == nullptr || !btf_is_array(last) ||
          btf_array(last)->nelems != 0 || off < moff) {
        return absl::OutOfRangeError(absl::StrCat(
            name_, ": access of ", size, " bytes at offset ", off,
            " is beyond struct ", StructLabel(sid), " (size ", t->size, ")"));
      }
      const uint32_t elem = SkipModsAndTypedefs(btf_array(last)->type);
      const struct btf_type* et = type(elem);
      const uint32_t esize = et ? raw_size(elem) : 0;
      if (et == nullptr || esize == 0 ||
          !(btf_is_int(et) || btf_is_composite(et))) {
        return absl::OutOfRangeError(absl::StrCat(
            name_, ": access at offset ", off, " is beyond struct ",
            StructLabel(sid), " and its flexible array is not of ints or structs"));
      }
      const uint32_t index = (off - moff) / esize;
      const uint32_t name_off = btf_members(t)[vlen - 1].name_off;
      r.path.push_back(WalkStep{sid, vlen - 1,
                                types_->str(name_off), index});
      r.member_offset += moff + index * esize;
      if (btf_is_int(et)) {
        r.kind = WalkKind::kScalar;
        r.type_id = elem;
        if (all != nullptr) all->Add(r);
        return absl::OkStatus();
      }
      off = (off - moff) % esize;
      sid = elem;
      continue;
    }

    // Returns kDecided with `status` set, or kMiss / kStop.
    absl::Status status;
    bool nested = false;  // the member was entered; a nested Walk reported
    auto visit = [&](uint32_t i, WalkResult& cur) -> Verdict {
      nested = false;
      const struct btf_member* m = btf_members(t) + i;
      const uint32_t bit_off = btf_member_bit_offset(t, i);
      uint32_t moff = bit_off / 8;
      if (uint64_t{off} + size <= moff) return Verdict::kStop;
      // Looked up only for the member chosen: most are skipped.
      auto mname = [&] { return types_->str(m->name_off); };
      const uint32_t bits = btf_member_bitfield_size(t, i);
      if (bits != 0) {
        // A bitfield is readable as part of a wider scalar access that
        // covers it whole; clang emits no member for an unnamed padding
        // bitfield, hence off <= moff rather than ==.
        const uint32_t end = (bit_off + bits + 7) / 8;
        if (off <= moff && end <= uint64_t{off} + size) {
          cur.path.push_back(WalkStep{sid, i, mname(), -1});
          cur.kind = WalkKind::kScalar;
          cur.type_id = SkipModsAndTypedefs(m->type);
          cur.member_offset += moff;
          status = absl::OkStatus();
          return Verdict::kDecided;
        }
        return Verdict::kMiss;
      }
      if (off < moff) return Verdict::kStop;
      // In an ordered struct a member ends where (or before) the next one
      // starts, so if the next starts at or before `off`, this one cannot
      // cover it: skip it without sizing it.
      if (ordered && i + 1 < vlen &&
          btf_member_bit_offset(t, i + 1) / 8 <= off &&
          btf_member_bitfield_size(t, i + 1) == 0) {
        return Verdict::kMiss;
      }
      uint32_t mid = SkipModsAndTypedefs(m->type);
      absl::StatusOr<uint32_t> msize_or = ResolvedSize(m->type);
      if (!msize_or.ok()) {
        status = msize_or.status();
        return Verdict::kDecided;
      }
      uint32_t msize = *msize_or;
      const uint32_t mtrue_end = moff + msize;
      if (off >= mtrue_end) return Verdict::kMiss;
      int64_t index = -1;
      if (btf_is_array(type(mid))) {
        // Multi-dimensional arrays are linearised, as the kernel does.
        uint64_t nelems = 1;
        while (type(mid) != nullptr && btf_is_array(type(mid))) {
          nelems *= btf_array(type(mid))->nelems;
          mid = SkipModsAndTypedefs(btf_array(type(mid))->type);
        }
        if (nelems == 0) return Verdict::kMiss;
        msize = static_cast<uint32_t>(msize / nelems);
        if (msize == 0) return Verdict::kMiss;
        index = (off - moff) / msize;
        moff += static_cast<uint32_t>(index) * msize;
      }
      cur.path.push_back(WalkStep{sid, i, mname(), index});
      const struct btf_type* mt = type(mid);
      if (mt != nullptr && btf_is_composite(mt)) {
        cur.member_offset += moff;
        nested = true;
        status = Walk(mid, off - moff, size, mode, in_union, cur, all);
        return Verdict::kDecided;
      }
      if (mt != nullptr && btf_is_ptr(mt)) {
        if (msize != size || off != moff) {
          status = absl::InvalidArgumentError(absl::StrCat(
              name_, ": cannot access pointer member ", mname(), " at offset ",
              moff, " of ", StructLabel(sid), " with an access of ", size,
              " bytes at offset ", off));
          return Verdict::kDecided;
        }
        uint32_t pointee = SkipModsAndTypedefs(mt->type);
        if (type(pointee) != nullptr && btf_is_composite(type(pointee))) {
          cur.kind = WalkKind::kPointer;
          cur.type_id = mid;
          cur.pointee_id = pointee;
          cur.member_offset += moff;
          status = absl::OkStatus();
          return Verdict::kDecided;
        }
      }
      // A scalar may be read anywhere inside the member, and an array of
      // scalars used as scratch space (skb->cb[]); past its end only inside
      // a union, where `mode` allows it (the struct's own end was checked
      // above).
      if (uint64_t{off} + size > mtrue_end &&
          (mode == WalkMode::kMemberBound || !in_union)) {
        status = absl::InvalidArgumentError(absl::StrCat(
            name_, ": access of ", size, " bytes at offset ", off,
            " runs past the end of member ", mname(), " (ends at ", mtrue_end,
            ") in ", StructLabel(sid)));
        return Verdict::kDecided;
      }
      cur.kind = WalkKind::kScalar;
      cur.type_id = mid;
      cur.member_offset += moff;
      status = absl::OkStatus();
      return Verdict::kDecided;
    };

    if (all != nullptr && btf_is_union(t)) {
      // Every member covering the offset is a candidate.
      bool any = false;
      for (uint32_t i = 0; i < vlen && !all->Full(); ++i) {
        --all->visits_left;
        WalkResult cur = r;
        Verdict v = visit(i, cur);
        if (v == Verdict::kStop) break;
        if (v != Verdict::kDecided || !status.ok()) continue;
        any = true;
        // A nested walk has appended its own results already.
        if (!nested) all->Add(cur);
      }
      return any ? absl::OkStatus()
                 : absl::InvalidArgumentError(absl::StrCat(
                       name_, ": no member of union ", StructLabel(sid),
                       " fits an access of ", size, " bytes at offset ", off));
    }
    for (uint32_t i = 0; i < vlen; ++i) {
      Verdict v = visit(i, r);
      if (v == Verdict::kStop) break;
      if (v == Verdict::kMiss) continue;
      if (status.ok() && all != nullptr && !nested) all->Add(r);
      return status;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ": ", StructLabel(sid), " has no member at offset ", off,
        " for an access of ", size, " bytes"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(name_, ": structs nested deeper than ", kMaxNesting));
}

}  // namespace btfreg
