#include "core/relocate.h"

#include <linux/bpf.h>
#include <linux/btf.h>

#include <bpf/btf.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/spec.h"
#include "sync/mutex.h"

namespace btfreg {
namespace {

struct Candidate {
  BtfRef object;
  uint32_t type_id;
};

// One side of a relocation's result (libbpf's bpf_core_relo_res).
struct Value {
  uint64_t val = 0;
  uint32_t size = 0;     // the field's load size, for offsets of non-bitfields
  uint32_t type_id = 0;  // the field's type, with `size`
};

// What a spec yields: a value, or a request to poison the instruction.
enum class Outcome { kValue, kPoison };

absl::StatusOr<uint32_t> SizeOf(const Btf& btf, uint32_t id) {
  absl::StatusOr<uint32_t> s = btf.ResolvedSize(id);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("type ", id, " has no size"));
  return s;
}

// libbpf's bpf_core_calc_field_relo. `spec` nullptr: no target.
absl::StatusOr<Outcome> FieldValue(uint32_t kind, const CoreSpec* spec, Value* out,
                                   bool* validate) {
  if (kind == BPF_CORE_FIELD_EXISTS) {
    out->val = spec != nullptr;
    return Outcome::kValue;
  }
  if (spec == nullptr) return Outcome::kPoison;
  const Btf& btf = *spec->btf;
  const CoreAccessor& acc = spec->spec.back();
  if (acc.name == nullptr) {  // a[n]
    absl::StatusOr<uint32_t> sz = SizeOf(btf, acc.type_id);
    if (!sz.ok()) return sz.status();
    if (kind == BPF_CORE_FIELD_BYTE_OFFSET) {
      out->val = spec->bit_offset / 8;
      out->size = *sz;
      out->type_id = acc.type_id;
    } else if (kind == BPF_CORE_FIELD_BYTE_SIZE) {
      out->val = *sz;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(CoreReloKindName(kind), " cannot apply to an array element"));
    }
    if (validate != nullptr) *validate = true;
    return Outcome::kValue;
  }
  const struct btf_type* t = CoreType(btf, acc.type_id);
  const struct btf_member* m = btf_members(t) + acc.idx;
  uint32_t field_type_id = 0;
  const struct btf_type* mt = SkipModsAndTypedefs(btf, m->type, &field_type_id);
  if (mt == nullptr) return absl::InvalidArgumentError("member type out of range");
  const uint32_t bit_off = spec->bit_offset;
  uint32_t bit_sz = btf_member_bitfield_size(t, acc.idx);
  const bool bitfield = bit_sz > 0;
  uint32_t byte_sz, byte_off;
  if (bitfield) {
    // The smallest load, at the member type's alignment, that holds it.
    byte_sz = mt->size;
    if (byte_sz == 0) return absl::InvalidArgumentError("a bitfield of a type of size 0");
    byte_off = bit_off / 8 / byte_sz * byte_sz;
    while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
      if (byte_sz >= 8) {
        return absl::InvalidArgumentError("the bitfield cannot be read with one 64-bit load");
      }
      byte_sz *= 2;
      byte_off = bit_off / 8 / byte_sz * byte_sz;
    }
  } else {
    absl::StatusOr<uint32_t> sz = SizeOf(btf, field_type_id);
    if (!sz.ok()) return sz.status();
    byte_sz = *sz;
    byte_off = bit_off / 8;
    bit_sz = byte_sz * 8;
  }
  // A bitfield's offset and size depend on the load the compiler chose;
  // only its signedness and right shift are checked against the code.
  if (validate != nullptr) *validate = !bitfield;
  switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET:
      out->val = byte_off;
      if (!bitfield) {
        out->size = byte_sz;
        out->type_id = field_type_id;
      }
      break;
    case BPF_CORE_FIELD_BYTE_SIZE:
      out->val = byte_sz;
      break;
    case BPF_CORE_FIELD_SIGNED:
      out->val = btf_is_any_enum(mt) ? btf_kflag(mt)
                                     : (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
      if (validate != nullptr) *validate = true;
      break;
    case BPF_CORE_FIELD_LSHIFT_U64:
      out->val = 64 - (bit_off + bit_sz - byte_off * 8);  // little-endian
      break;
    case BPF_CORE_FIELD_RSHIFT_U64:
      out->val = 64 - bit_sz;
      if (validate != nullptr) *validate = true;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown field relocation ", kind));
  }
  return Outcome::kValue;
}

// libbpf's bpf_core_calc_type_relo.
absl::StatusOr<Outcome> TypeValue(uint32_t kind, const CoreSpec* spec, Value* out,
                                  bool* validate) {
  if (validate != nullptr) *validate = true;
  if (spec == nullptr) {
    out->val = 0;
    return Outcome::kValue;
  }
  switch (kind) {
    case BPF_CORE_TYPE_ID_TARGET:
      out->val = spec->root_type_id;
      if (validate != nullptr) *validate = false;  // ids change when objects are linked
      break;
    case BPF_CORE_TYPE_EXISTS:
    case BPF_CORE_TYPE_MATCHES:
      out->val = 1;
      break;
    case BPF_CORE_TYPE_SIZE: {
      absl::StatusOr<uint32_t> sz = SizeOf(*spec->btf, spec->root_type_id);
      if (!sz.ok()) return sz.status();
      out->val = *sz;
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown type relocation ", kind));
  }
  return Outcome::kValue;
}

// libbpf's bpf_core_calc_enumval_relo.
absl::StatusOr<Outcome> EnumValue(uint32_t kind, const CoreSpec* spec, Value* out) {
  if (kind == BPF_CORE_ENUMVAL_EXISTS) {
    out->val = spec != nullptr;
    return Outcome::kValue;
  }
  if (spec == nullptr) return Outcome::kPoison;
  const struct btf_type* t = CoreType(*spec->btf, spec->spec[0].type_id);
  const uint32_t i = spec->spec[0].idx;
  // An ENUM's value is a __s32, widened with its sign as libbpf widens it.
  out->val = btf_is_enum(t) ? static_cast<uint64_t>(static_cast<int64_t>(btf_enum(t)[i].val))
                            : btf_enum64_value(btf_enum64(t) + i);
  return Outcome::kValue;
}

// libbpf's bpf_core_calc_relo: the local and target values of one
// relocation (`target` nullptr: none matched). `memsz_fails`: the field's
// load size changes in a way that would read another value (libbpf's
// fail_memsz_adjust; Check poisons such a load or store).
absl::StatusOr<CoreResult> Calc(const CoreSpec& local, const CoreSpec* target,
                                bool* memsz_fails) {
  *memsz_fails = false;
  CoreResult r;
  r.kind = local.kind;
  Value orig, now;
  absl::StatusOr<Outcome> o = Outcome::kValue;
  if (IsFieldRelo(local.kind)) {
    o = FieldValue(local.kind, &local, &orig, &r.validate);
    if (o.ok() && *o == Outcome::kValue) o = FieldValue(local.kind, target, &now, nullptr);
    if (o.ok() && *o == Outcome::kValue && orig.size != now.size) {
      // A load of another size reads the same value only for a pointer
      // (zero-extended) or an unsigned integer.
      const struct btf_type* ot = CoreType(*local.btf, orig.type_id);
      const struct btf_type* nt = CoreType(*target->btf, now.type_id);
      const bool both_ptr = btf_is_ptr(ot) && btf_is_ptr(nt);
      const bool both_unsigned = btf_is_int(ot) && btf_is_int(nt) &&
                                 btf_int_encoding(ot) != BTF_INT_SIGNED &&
                                 btf_int_encoding(nt) != BTF_INT_SIGNED;
      r.orig_size = orig.size;
      r.new_size = now.size;
      *memsz_fails = !both_ptr && !both_unsigned;
    }
  } else if (IsTypeRelo(local.kind)) {
    o = TypeValue(local.kind, &local, &orig, &r.validate);
    if (o.ok()) o = TypeValue(local.kind, target, &now, nullptr);
  } else {
    o = EnumValue(local.kind, &local, &orig);
    if (o.ok() && *o == Outcome::kValue) o = EnumValue(local.kind, target, &now);
  }
  if (!o.ok()) return o.status();
  r.poison = *o == Outcome::kPoison;
  r.orig_value = orig.val;
  r.new_value = now.val;
  return r;
}

int InsnBytes(uint8_t code) {
  switch (BPF_SIZE(code)) {
    case BPF_DW: return 8;
    case BPF_W: return 4;
    case BPF_H: return 2;
    case BPF_B: return 1;
    default: return -1;
  }
}

// libbpf's bpf_core_patch_insn, without the patching: reads the value the
// instruction holds and refuses what libbpf refuses. A load or store whose
// size would have to change in a way that reads a different value is
// poisoned, as libbpf poisons it.
absl::Status Check(absl::Span<const struct bpf_insn> insns, uint32_t at, bool memsz_fails,
                   CoreResult* r) {
  const struct bpf_insn& insn = insns[at];
  switch (BPF_CLASS(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      if (BPF_SRC(insn.code) != BPF_K) return absl::InvalidArgumentError("an ALU instruction without an immediate");
      r->insn_value = static_cast<uint64_t>(static_cast<int64_t>(insn.imm));
      break;
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX:
      r->insn_value = static_cast<uint64_t>(static_cast<int64_t>(insn.off));
      if (r->poison) break;
      if (r->validate && r->insn_value != r->orig_value) break;  // reported below
      if (r->new_value > SHRT_MAX) {
        return absl::OutOfRangeError(absl::StrCat("offset ", r->new_value, " is too big for the instruction"));
      }
      if (memsz_fails) {
        r->poison = true;  // libbpf: "accesses field incorrectly"
        r->orig_size = r->new_size = 0;
        break;
      }
      if (r->orig_size != r->new_size) {
        if (InsnBytes(insn.code) != static_cast<int>(r->orig_size)) {
          return absl::InvalidArgumentError(absl::StrCat("the instruction loads ", InsnBytes(insn.code),
                                                         " bytes, the field has ", r->orig_size));
        }
        if (r->new_size != 1 && r->new_size != 2 && r->new_size != 4 && r->new_size != 8) {
          return absl::InvalidArgumentError(absl::StrCat("the target field's size ", r->new_size,
                                                         " is no load size"));
        }
      }
      break;
    case BPF_LD: {
      if (insn.code != (BPF_LD | BPF_IMM | BPF_DW) || at + 1 >= insns.size() || insn.src_reg != 0 ||
          insn.off != 0 || insns[at + 1].code != 0 || insns[at + 1].dst_reg != 0 ||
          insns[at + 1].src_reg != 0 || insns[at + 1].off != 0) {
        return absl::InvalidArgumentError("an LDIMM64 instruction of unexpected form");
      }
      r->insn_value = static_cast<uint32_t>(insn.imm) |
                      static_cast<uint64_t>(static_cast<uint32_t>(insns[at + 1].imm)) << 32;
      break;
    }
    default:
      if (r->poison) break;
      return absl::InvalidArgumentError(absl::StrCat("instruction code 0x", absl::Hex(insn.code),
                                                     " cannot be relocated"));
  }
  if (!r->poison && r->validate && r->insn_value != r->orig_value) {
    return absl::InvalidArgumentError(absl::StrCat("the instruction holds ", r->insn_value,
                                                   ", the local spec expects ", r->orig_value));
  }
  return absl::OkStatus();
}

}  // namespace

struct CoreRelocator::Cache {
  // A (essential name, kind)'s candidates: the base's, or when it has none
  // the modules' (`module_search`), each object's in id order.
  struct Candidates {
    std::vector<Candidate> list;
    bool module_search = false;
  };
  // One match: against `candidates` (the key names them), which of them
  // matched and the first match's target spec (which points into its
  // object, kept alive by the reference in `candidates`).
  struct Match {
    std::vector<Candidate> candidates;
    std::vector<bool> matched;
    int first = -1;
    CoreSpec target_spec;
    std::string target_text;  // FormatSpec(target_spec), made once
    bool module_search = false;
  };

  static bool Names(const std::vector<Candidate>& list, uint32_t id) {
    return std::any_of(list.begin(), list.end(),
                       [&](const Candidate& c) { return c.object.id() == id; });
  }

  // A module came or went (or the base came): drops what it changes.
  void Invalidate(const RegistryEvent& e) {
    MutexLock l(mu);
    ++epoch;
    const bool going = e.kind == RegistryEvent::kGoing;
    const bool base = !going && e.ref && !e.ref.is_module();
    auto stale = [&](bool module_search, const std::vector<Candidate>& list) {
      if (base) return true;
      return going ? Names(list, e.id) : module_search;
    };
    const size_t before = candidates.size() + matches.size();
    absl::erase_if(candidates, [&](const auto& kv) {
      return stale(kv.second.module_search, kv.second.list);
    });
    absl::erase_if(matches, [&](const auto& kv) {
      return stale(kv.second->module_search, kv.second->candidates);
    });
    stats.invalidations += before - candidates.size() - matches.size();
  }

  mutable Mutex mu;
  uint64_t epoch ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<std::pair<std::string, int>, Candidates> candidates ABSL_GUARDED_BY(mu);
  // Shared, so that a relocation reads its entry after the lock is dropped
  // (an invalidation may erase it from the map meanwhile).
  absl::flat_hash_map<std::string, std::shared_ptr<const Match>> matches ABSL_GUARDED_BY(mu);
  CoreCacheStats stats ABSL_GUARDED_BY(mu);
};

CoreRelocator::CoreRelocator(Registry* registry)
    : registry_(registry), cache_(std::make_unique<Cache>()) {
  Cache* cache = cache_.get();
  observer_ = registry_->AddObserver([cache](const RegistryEvent& e) {
    if (e.kind != RegistryEvent::kLive) cache->Invalidate(e);  // kLoaded published it
  });
}

CoreRelocator::~CoreRelocator() { registry_->RemoveObserver(observer_); }

CoreCacheStats CoreRelocator::Stats() const {
  MutexLock l(cache_->mu);
  CoreCacheStats s = cache_->stats;
  s.candidate_entries = cache_->candidates.size();
  s.match_entries = cache_->matches.size();
  return s;
}

namespace {

// The candidates of a local type named `name` of `kind`, as libbpf's
// bpf_core_find_cands orders them, and whether they are the modules'.
void SearchCandidates(Registry* registry, absl::string_view name, int kind,
                    std::vector<Candidate>* out, bool* module_search) {
  std::vector<TypeMatch> all = registry->FindCandidates(name, kind, Registry::Scope::kAll);
  const bool in_base = std::any_of(all.begin(), all.end(),
                                   [](const TypeMatch& m) { return !m.btf.is_module(); });
  *module_search = !in_base;
  // Objects in the order the registry gave them, each in id order.
  std::map<const Btf*, size_t> rank;
  for (TypeMatch& m : all) {
    if (m.btf.is_module() == in_base) continue;  // the base's, else the modules'
    rank.try_emplace(m.btf.get(), rank.size());
    out->push_back(Candidate{std::move(m.btf), m.type_id});
  }
  std::sort(out->begin(), out->end(), [&](const Candidate& a, const Candidate& b) {
    return std::make_pair(rank[a.object.get()], a.type_id) <
           std::make_pair(rank[b.object.get()], b.type_id);
  });
}

std::string CandidatesKey(const std::vector<Candidate>& list) {
  std::string key;
  for (const Candidate& c : list) absl::StrAppend(&key, c.object.id(), ":", c.type_id, ",");
  return key;
}

}  // namespace

absl::StatusOr<std::vector<CoreResult>> CoreRelocator::Relocate(const BpfObject& obj) {
  if (registry_->base().get() == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(obj.name(), ": CO-RE relocation needs a registry with a base (vmlinux)"));
  }
  const Btf& btf = obj.btf();
  Cache& cache = *cache_;
  // Each root type's candidates for this object, narrowed as relocations
  // match (libbpf's cand_cache), with the cache epoch they were read at.
  struct Narrowed {
    std::vector<Candidate> list;
    std::string key;  // CandidatesKey(list)
    bool module_search = false;
    uint64_t epoch = 0;
  };
  std::map<uint32_t, Narrowed> cands_of;
  std::vector<CoreResult> out;
  out.reserve(obj.ext().core_relo_count());
  for (const BtfExtSection<CoreRelo>& sec : obj.ext().core_relos) {
    const absl::Span<const struct bpf_insn> insns = obj.Instructions(sec.name);
    for (uint32_t i = 0; i < sec.records.size(); ++i) {
      const CoreRelo& relo = sec.records[i];
      const BpfObject::Program* prog = obj.ProgramAt(sec.name, relo.insn_off);
      if (prog == nullptr) continue;  // code no program holds, as libbpf skips it
      const uint32_t at = relo.insn_off / sizeof(struct bpf_insn);
      const uint32_t insn = at - prog->offset / sizeof(struct bpf_insn);
      auto fail = [&](const absl::Status& s) {
        return absl::Status(s.code(), absl::StrCat(obj.name(), ": section '", sec.name, "' relo #", i,
                                                   " (program '", prog->name, "', insn #", insn,
                                                   "): ", s.message()));
      };
      absl::StatusOr<CoreSpec> local = ParseLocalSpec(btf, relo);
      if (!local.ok()) return fail(local.status());
      CoreResult r;
      CoreSpec target_spec;
      BtfRef target;
      int matched = 0;
      bool memsz_fails = false;
      if (relo.kind == BPF_CORE_TYPE_ID_LOCAL) {
        r.kind = relo.kind;
        r.orig_value = r.new_value = relo.type_id;
        r.validate = false;
      } else {
        const absl::string_view name = btf.type_name(relo.type_id);
        if (name.empty()) {
          return fail(absl::InvalidArgumentError(absl::StrCat(
              CoreReloKindName(relo.kind), " relocation of an anonymous type")));
        }
        const int kind = btf.kind(relo.type_id);
        auto [it, fresh] = cands_of.try_emplace(relo.type_id);
        Narrowed& cands = it->second;
        if (fresh) {
          const std::pair<std::string, int> key(EssentialName(name), kind);
          bool hit = false;
          {
            MutexLock l(cache.mu);
            cands.epoch = cache.epoch;
            auto c = cache.candidates.find(key);
            if ((hit = c != cache.candidates.end())) {
              cands.list = c->second.list;
              cands.module_search = c->second.module_search;
            }
            ++(hit ? cache.stats.candidate_hits : cache.stats.candidate_misses);
          }
          if (!hit) {  // the registry's lock, never the cache's, while searching
            SearchCandidates(registry_, name, kind, &cands.list, &cands.module_search);
            MutexLock l(cache.mu);
            if (cache.epoch == cands.epoch) {
              cache.candidates[key] = Cache::Candidates{cands.list, cands.module_search};
            }
          }
          cands.key = CandidatesKey(cands.list);
        }
        std::string match_key = MatchSignature(*local);
        if (!match_key.empty()) absl::StrAppend(&match_key, "|", cands.key);
        std::vector<bool> kept(cands.list.size(), false);
        std::shared_ptr<const Cache::Match> entry;
        if (!match_key.empty()) {
          MutexLock l(cache.mu);
          auto m = cache.matches.find(match_key);
          if (m != cache.matches.end()) entry = m->second;
          ++(entry ? cache.stats.match_hits : cache.stats.match_misses);
        }
        if (entry) {
          kept = entry->matched;
          matched = static_cast<int>(std::count(kept.begin(), kept.end(), true));
          const CoreSpec* spec = matched > 0 ? &entry->target_spec : nullptr;
          absl::StatusOr<CoreResult> cr = Calc(*local, spec, &memsz_fails);
          if (!cr.ok()) return fail(cr.status());
          r = *std::move(cr);
          if (matched > 0) {
            target = entry->candidates[entry->first].object;
            r.target_type_id = entry->candidates[entry->first].type_id;
            r.target_spec = entry->target_text;
          }
        } else {
          int first = -1;
          for (size_t c = 0; c < cands.list.size(); ++c) {
            CoreSpec cand_spec;
            absl::StatusOr<bool> m =
                MatchSpec(*local, *cands.list[c].object, cands.list[c].type_id, &cand_spec);
            if (!m.ok()) return fail(m.status());
            if (!*m) continue;
            bool fails = false;
            absl::StatusOr<CoreResult> cr = Calc(*local, &cand_spec, &fails);
            if (!cr.ok()) return fail(cr.status());
            if (matched == 0) {
              r = *std::move(cr);
              memsz_fails = fails;
              target_spec = cand_spec;
              target = cands.list[c].object;
              r.target_type_id = cands.list[c].type_id;
              first = static_cast<int>(c);
            } else if (cand_spec.bit_offset != target_spec.bit_offset) {
              return fail(absl::FailedPreconditionError(absl::StrCat(
                  "field offset ambiguity: ", cand_spec.bit_offset, " != ", target_spec.bit_offset)));
            } else if (cr->poison != r.poison || cr->new_value != r.new_value) {
              return fail(absl::FailedPreconditionError(absl::StrCat(
                  "relocation decision ambiguity: ", cr->poison ? "failure" : "success", " ",
                  cr->new_value, " != ", r.poison ? "failure" : "success", " ", r.new_value)));
            }
            ++matched;
            kept[c] = true;
          }
          if (matched == 0) {
            absl::StatusOr<CoreResult> cr = Calc(*local, nullptr, &memsz_fails);
            if (!cr.ok()) return fail(cr.status());
            r = *std::move(cr);
          }
          if (matched > 0) r.target_spec = FormatSpec(target_spec);
          if (!match_key.empty()) {
            auto made = std::make_shared<const Cache::Match>(Cache::Match{
                cands.list, kept, first, target_spec, r.target_spec, cands.module_search});
            MutexLock l(cache.mu);
            if (cache.epoch == cands.epoch) cache.matches[match_key] = std::move(made);
          }
        }
        if (matched > 0 && static_cast<size_t>(matched) < cands.list.size()) {
          // Later relocations of the type see only the candidates that matched.
          std::vector<Candidate> narrowed;
          for (size_t c = 0; c < cands.list.size(); ++c) {
            if (kept[c]) narrowed.push_back(cands.list[c]);
          }
          cands.list = std::move(narrowed);
          cands.key = CandidatesKey(cands.list);
        }
      }
      if (absl::Status s = Check(insns, at, memsz_fails, &r); !s.ok()) return fail(s);
      r.section = sec.name;
      r.program = prog->name;
      r.relo_index = i;
      r.insn_off = relo.insn_off;
      r.insn = insn;
      r.matched = matched;
      r.local_spec = FormatSpec(*local);
      r.target = std::move(target);
      out.push_back(std::move(r));
    }
  }
  return out;
}

namespace {

int BpfSize(uint32_t bytes) {
  switch (bytes) {
    case 8: return BPF_DW;
    case 4: return BPF_W;
    case 2: return BPF_H;
    case 1: return BPF_B;
    default: return -1;
  }
}

// libbpf's bpf_core_poison_insn: a call of helper 0xbad2310 ("bad relo"),
// which the verifier refuses if the instruction is reachable.
void Poison(struct bpf_insn* insn) {
  insn->code = BPF_JMP | BPF_CALL;
  insn->dst_reg = 0;
  insn->src_reg = 0;
  insn->off = 0;
  insn->imm = 195896080;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ApplyRelocations(const BpfObject& obj,
                                                      const std::vector<CoreResult>& results) {
  std::vector<uint8_t> out = obj.image();
  for (const CoreResult& r : results) {
    const int64_t section = obj.SectionOffset(r.section);
    const size_t count = obj.Instructions(r.section).size();
    const size_t at = r.insn_off / sizeof(struct bpf_insn);
    if (section < 0 || at >= count) {
      return absl::InvalidArgumentError(absl::StrCat(
          obj.name(), ": relocation of section '", r.section, "' at ", r.insn_off,
          " is not an instruction of this object"));
    }
    struct bpf_insn insn[2] = {};
    uint8_t* where = out.data() + section + r.insn_off;
    const bool wide = (where[0] == (BPF_LD | BPF_IMM | BPF_DW)) && at + 1 < count;
    memcpy(insn, where, (wide ? 2 : 1) * sizeof(struct bpf_insn));
    if (r.poison) {
      Poison(&insn[0]);
      if (wide) Poison(&insn[1]);
    } else {
      switch (BPF_CLASS(insn[0].code)) {
        case BPF_ALU:
        case BPF_ALU64:
          insn[0].imm = static_cast<int32_t>(r.new_value);
          break;
        case BPF_LDX:
        case BPF_ST:
        case BPF_STX:
          insn[0].off = static_cast<int16_t>(r.new_value);
          if (r.new_size != r.orig_size) {
            insn[0].code = BPF_MODE(insn[0].code) | BpfSize(r.new_size) | BPF_CLASS(insn[0].code);
          }
          break;
        case BPF_LD:
          insn[0].imm = static_cast<int32_t>(r.new_value);
          insn[1].imm = static_cast<int32_t>(r.new_value >> 32);
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(
              obj.name(), ": the instruction at ", r.insn_off, " of '", r.section,
              "' cannot be relocated"));
      }
    }
    memcpy(where, insn, (wide ? 2 : 1) * sizeof(struct bpf_insn));
  }
  // No CO-RE relocations left: .BTF.ext's core_relo_len (bytes 28..31 of its
  // header, present when the header is that long) becomes 0.
  const int64_t ext = obj.BtfExtOffset();
  if (ext >= 0 && obj.ext().core_relo_count() > 0) {
    const uint32_t zero = 0;
    memcpy(out.data() + ext + 28, &zero, sizeof(zero));
  }
  return out;
}

}  // namespace btfreg
