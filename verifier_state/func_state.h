// verifier_state/func_state.h: call frames and whole verifier states,
// generic over the register layout (reg_state.h).
//
// As the kernel's bpf_func_state / bpf_verifier_state: a frame has 11
// registers and a stack of 8-byte slots, each able to hold a spilled
// register; a state is up to 8 frames. `bytes()` is what one explored state
// costs, the figure the verifier multiplies by the states it keeps.
//
//   VerifierState<RegState> st;
//   st.PushFrame(/*callsite=*/-1, /*subprogno=*/0);
//   st.cur().regs[1].type = SCALAR_VALUE;
//   size_t cost = st.bytes();

#ifndef BTFREG_VERIFIER_STATE_FUNC_STATE_H_
#define BTFREG_VERIFIER_STATE_FUNC_STATE_H_

#include <cstddef>
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

namespace btfreg {

inline constexpr int kMaxBpfReg = 11;       // R0..R10 (MAX_BPF_REG)
inline constexpr int kMaxCallFrames = 8;    // MAX_CALL_FRAMES
inline constexpr int kBpfRegSize = 8;       // BPF_REG_SIZE

enum StackSlotType : uint8_t { STACK_INVALID = 0, STACK_SPILL, STACK_MISC, STACK_ZERO };

template <typename Reg>
struct StackState {
  Reg spilled_ptr;
  uint8_t slot_type[kBpfRegSize];
};

template <typename Reg>
struct FuncState {
  Reg regs[kMaxBpfReg];
  int32_t callsite;
  uint32_t frameno;
  uint32_t subprogno;
  // One entry per 8 bytes of stack in use, as the kernel's `stack` array.
  std::vector<StackState<Reg>> stack;

  // Bytes this frame holds, its stack included.
  size_t bytes() const {
    return sizeof(*this) + stack.capacity() * sizeof(StackState<Reg>);
  }
};

template <typename Reg>
class VerifierState {
 public:
  VerifierState() = default;
  VerifierState(const VerifierState& other) : curframe_(other.curframe_) {
    for (const auto& f : other.frames_) {
      frames_.push_back(std::make_unique<FuncState<Reg>>(*f));
    }
  }
  VerifierState& operator=(const VerifierState& other) {
    VerifierState copy(other);
    frames_.swap(copy.frames_);
    curframe_ = copy.curframe_;
    return *this;
  }

  // Enters a new frame with all registers NOT_INIT (value-initialized).
  // REQUIRES: depth() < kMaxCallFrames.
  FuncState<Reg>& PushFrame(int32_t callsite, uint32_t subprogno) {
    assert(frames_.size() < static_cast<size_t>(kMaxCallFrames) && "PushFrame past kMaxCallFrames");
    auto f = std::make_unique<FuncState<Reg>>();
    f->callsite = callsite;
    f->frameno = static_cast<uint32_t>(frames_.size());
    f->subprogno = subprogno;
    for (Reg& r : f->regs) r.frameno = f->frameno;
    frames_.push_back(std::move(f));
    curframe_ = static_cast<uint32_t>(frames_.size() - 1);
    return *frames_.back();
  }
  void PopFrame() {
    assert(!frames_.empty() && "PopFrame of no frame");
    frames_.pop_back();
    curframe_ = frames_.empty() ? 0 : static_cast<uint32_t>(frames_.size() - 1);
  }

  int depth() const { return static_cast<int>(frames_.size()); }
  FuncState<Reg>& frame(int i) { return *frames_[i]; }
  const FuncState<Reg>& frame(int i) const { return *frames_[i]; }
  FuncState<Reg>& cur() { return *frames_[curframe_]; }
  const FuncState<Reg>& cur() const { return *frames_[curframe_]; }

  // Bytes one explored state costs: this object, its frames and stacks.
  size_t bytes() const {
    size_t n = sizeof(*this) + frames_.capacity() * sizeof(frames_[0]);
    for (const auto& f : frames_) n += f->bytes();
    return n;
  }

 private:
  std::vector<std::unique_ptr<FuncState<Reg>>> frames_;
  uint32_t curframe_ = 0;
};

}  // namespace btfreg

#endif  // BTFREG_VERIFIER_STATE_FUNC_STATE_H_
