// verifier_state/reg_state.h: verifier register states, four ways.
//
// The kernel's verifier keeps one `struct bpf_reg_state` per register per
// explored state, and explores up to a million instructions' worth of states,
// so every byte here is multiplied by millions. In November 2020 (the seed
// mail of this project) a register pointing into BTF (PTR_TO_BTF_ID) gained
// `struct btf *btf` beside its `u32 btf_id`, so that module BTF could be
// told apart. Growing the 8-byte union to 16 would have grown the struct,
// but moving `s32 off` into the hole after `type` kept it at 120 bytes with
// no holes. These layouts reproduce that choice and its rivals:
//
//   RegState          pointer + id, the seed's AFTER layout      120 bytes
//   IdRegState        BTF object id + id, the BEFORE layout      120 bytes
//   PackedIdRegState  the same with its two holes closed         112 bytes
//   HandleRegState    {slot, generation} handle + id, packed     112 bytes
//
// With RegState the BTF object is one load away and stays valid because the
// program pins it (verifier_state/used_btfs.h). The others must look the
// object up on every use, and can find it gone (or, with reused ids,
// replaced: see Registry::Options).
//
//   RegState reg{};
//   MarkBtfId(PointerResolver(), reg, task_ref, task_struct_id);   // ops.h

#ifndef BTFREG_VERIFIER_STATE_REG_STATE_H_
#define BTFREG_VERIFIER_STATE_REG_STATE_H_

#include <cstddef>
#include <cstdint>

#include "btf/btf.h"
#include "registry/btf_ref.h"

namespace btfreg {

// A tracked number: bits in `mask` are unknown, the others are `value`.
struct Tnum {
  uint64_t value;
  uint64_t mask;
  friend bool operator==(Tnum a, Tnum b) {
    return a.value == b.value && a.mask == b.mask;
  }
};

// The subset of the kernel's enum bpf_reg_type these states use.
enum RegType : uint32_t {
  NOT_INIT = 0,
  SCALAR_VALUE,
  PTR_TO_CTX,
  CONST_PTR_TO_MAP,
  PTR_TO_MAP_VALUE,
  PTR_TO_STACK,
  PTR_TO_MEM,
  PTR_TO_BTF_ID,
};

enum RegLiveness : uint32_t {
  REG_LIVE_NONE = 0,
  REG_LIVE_READ32 = 1,
  REG_LIVE_READ64 = 2,
  REG_LIVE_WRITTEN = 4,
  REG_LIVE_DONE = 8,
};

struct BpfMap;  // opaque here

// The pieces every layout shares after the union (from var_off on), as a
// macro so that each struct spells its own layout field by field.
#define BTFREG_REG_BOUNDS(Self)                                   \
  Tnum var_off;                                                   \
  int64_t smin_value, smax_value;                                 \
  uint64_t umin_value, umax_value;                                \
  int32_t s32_min_value, s32_max_value;                           \
  uint32_t u32_min_value, u32_max_value;                          \
  Self* parent;                                                   \
  uint32_t frameno;                                               \
  int32_t subreg_def;                                             \
  RegLiveness live;                                               \
  bool precise

// Pointer + id: the kernel's bpf_reg_state after the seed's change.
struct RegState {
  RegType type;
  int32_t off;  // moved here, into what was a hole, to pay for `btf`
  union {
    int32_t range;        // PTR_TO_PACKET
    const BpfMap* map_ptr;  // CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE
    struct {              // PTR_TO_BTF_ID
      const Btf* btf;     // borrowed: the program's UsedBtfs pins it
      uint32_t btf_id;
    };
    uint32_t mem_size;    // PTR_TO_MEM
    struct {              // the largest member, for copies and compares
      unsigned long raw1;
      unsigned long raw2;
    } raw;
  };
  uint32_t id;
  uint32_t ref_obj_id;
  BTFREG_REG_BOUNDS(RegState);
};

// ID only: the layout before the seed's change. The 8-byte union holds the
// BTF object's registry id where the pointer would go.
struct IdRegState {
  RegType type;
  // 4-byte hole
  union {
    int32_t range;
    const BpfMap* map_ptr;
    struct {
      uint32_t btf_obj_id;  // Registry id: looked up on every use
      uint32_t btf_id;
    };
    uint32_t mem_size;
    unsigned long raw;
  };
  int32_t off;
  uint32_t id;
  uint32_t ref_obj_id;
  // 4-byte hole
  BTFREG_REG_BOUNDS(IdRegState);
};

// ID only, holes closed: what the ID design could have weighed.
struct PackedIdRegState {
  RegType type;
  int32_t off;
  union {
    int32_t range;
    const BpfMap* map_ptr;
    struct {
      uint32_t btf_obj_id;
      uint32_t btf_id;
    };
    uint32_t mem_size;
    unsigned long raw;
  };
  uint32_t id;
  uint32_t ref_obj_id;
  BTFREG_REG_BOUNDS(PackedIdRegState);
};

// A compact handle: {slot, generation} of the registry's handle table and
// the type id, in the same 8 bytes the ID design had.
struct HandleRegState {
  RegType type;
  int32_t off;
  union {
    int32_t range;
    const BpfMap* map_ptr;
    struct {
      BtfHandle btf_handle;  // resolved by index, checked by generation
      uint32_t btf_id;
    };
    uint32_t mem_size;
    unsigned long raw;
  };
  uint32_t id;
  uint32_t ref_obj_id;
  BTFREG_REG_BOUNDS(HandleRegState);
};

#undef BTFREG_REG_BOUNDS

// The seed's AFTER layout, exactly (pahole on the Nov 2020 kernel): 120
// bytes, no holes, `off` at 4 in the old hole, a 16-byte union at 8.
static_assert(sizeof(RegState) == 120, "seed: 120 bytes with btf* added");
static_assert(offsetof(RegState, off) == 4, "seed: off moved into the hole");
static_assert(offsetof(RegState, range) == 8, "seed: union at 8");
static_assert(offsetof(RegState, btf) == 8, "seed: btf at 8");
static_assert(offsetof(RegState, btf_id) == 16, "seed: btf_id at 16");
static_assert(sizeof(RegState::raw) == 16, "seed: the union grew to 16");
static_assert(offsetof(RegState, id) == 24, "seed: id at 24");
static_assert(offsetof(RegState, ref_obj_id) == 28, "seed: ref_obj_id at 28");
static_assert(offsetof(RegState, var_off) == 32, "seed: var_off at 32");
static_assert(offsetof(RegState, smin_value) == 48, "seed");
static_assert(offsetof(RegState, umin_value) == 64, "seed: cacheline 1");
static_assert(offsetof(RegState, s32_min_value) == 80, "seed");
static_assert(offsetof(RegState, u32_max_value) == 92, "seed");
static_assert(offsetof(RegState, parent) == 96, "seed: parent at 96");
static_assert(offsetof(RegState, frameno) == 104, "seed: frameno at 104");
static_assert(offsetof(RegState, subreg_def) == 108, "seed");
static_assert(offsetof(RegState, live) == 112, "seed: live at 112");
static_assert(offsetof(RegState, precise) == 116, "seed: precise at 116");

// The seed's BEFORE layout: 120 bytes with two 4-byte holes (after `type`
// and after `ref_obj_id`), an 8-byte union.
static_assert(sizeof(IdRegState) == 120, "seed BEFORE: 120 bytes");
static_assert(offsetof(IdRegState, btf_obj_id) == 8, "seed BEFORE: union at 8");
static_assert(offsetof(IdRegState, off) == 16, "seed BEFORE: off at 16");
static_assert(offsetof(IdRegState, ref_obj_id) == 24, "seed BEFORE");
static_assert(offsetof(IdRegState, var_off) == 32, "seed BEFORE: hole at 28");
static_assert(offsetof(IdRegState, precise) == 116, "seed BEFORE");

// Closing the holes saves 8 bytes: the price the pointer design paid.
static_assert(sizeof(PackedIdRegState) == 112, "packed: no holes");
static_assert(offsetof(PackedIdRegState, var_off) == 24, "packed");
static_assert(sizeof(HandleRegState) == 112, "handle: 112 bytes or less");
static_assert(sizeof(BtfHandle) == 4, "handle: slot + generation in 4 bytes");
static_assert(offsetof(HandleRegState, btf_id) == 12, "handle: id beside it");

}  // namespace btfreg

#endif  // BTFREG_VERIFIER_STATE_REG_STATE_H_
