// registry/internal/known_modules.h: modules that exist but are not parsed
// yet (Registry::ModuleKnown), and those whose BTF failed. Private to
// registry/.
//
// A known module is parsed once, by whoever asks first: its ParseOnce is
// shared by every asker, who wait on its lock for that one outcome. When the
// parse ends the module leaves this table (Settle): published by the
// registry, or recorded here as failed with its error.
//
// Not synchronized, except unparsed(): the registry keeps it under its lock.

#ifndef BTFREG_REGISTRY_INTERNAL_KNOWN_MODULES_H_
#define BTFREG_REGISTRY_INTERNAL_KNOWN_MODULES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "registry/registry.h"
#include "sync/mutex.h"

namespace btfreg {
namespace internal {

// A Status kept to be handed to several threads. Debian's Abseil is not
// built with TSan, so a Status whose payload two threads share (refcounted
// inside uninstrumented code) would look racy: each reader gets a Status of
// its own, made from the code and the message.
class StoredStatus {
 public:
  explicit StoredStatus(const absl::Status& s = absl::OkStatus())
      : code_(s.code()), message_(s.message()) {}
  absl::Status Get() const { return absl::Status(code_, message_); }

 private:
  absl::StatusCode code_;
  std::string message_;
};

// The one parse of a known module. Lock order: `mu` is held while the
// loader runs and the registry delivers events, so it comes before the
// registry's own locks (Registry::notify_mu_, then Registry::mu_).
struct ParseOnce {
  Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  StoredStatus status ABSL_GUARDED_BY(mu);
};

class KnownModules {
 public:
  struct Known {
    ModuleLoader loader;
    uint32_t kernel_id = 0;
    std::shared_ptr<ParseOnce> once;
  };

  // Whether `name` is known or failed; whether `kernel_id` is a known one's.
  bool Contains(absl::string_view name) const;
  bool ContainsKernelId(uint32_t kernel_id) const;
  // REQUIRES: !Contains(name), and kernel_id 0 or !ContainsKernelId.
  void Add(absl::string_view name, ModuleLoader loader, uint32_t kernel_id);
  // Forgets a known or failed module; false if there is none of that name.
  bool Forget(absl::string_view name);

  // The known module of that name, or nullptr (also when it failed).
  const Known* FindKnown(absl::string_view name) const;
  // The error of a failed module, or nullopt.
  std::optional<absl::Status> FailedError(absl::string_view name) const;
  // The known module with this kernel id, or nullopt.
  std::optional<std::string> NameOfKernelId(uint32_t kernel_id) const;

  // The parse of known module `name` by `once` ended: the module leaves the
  // known ones; if `error` is not OK it is recorded as failed. Returns false,
  // changing nothing, if `name` is no longer known by that parse (it went,
  // and perhaps came again, while it was being parsed).
  bool Settle(absl::string_view name, const ParseOnce* once, const absl::Status& error);

  std::vector<std::string> KnownNames() const;
  std::vector<FailedModule> Failed() const;  // by name
  size_t known_count() const { return known_.size(); }
  size_t failed_count() const { return failed_.size(); }
  // Known plus failed, readable without the registry's lock: with none,
  // asking for a module need not take the lock to learn there is nothing to
  // parse.
  size_t unparsed() const { return unparsed_.load(std::memory_order_acquire); }
  void Clear();

 private:
  struct Failure {
    uint32_t kernel_id = 0;
    StoredStatus error;
  };
  void Count() { unparsed_.store(known_.size() + failed_.size(), std::memory_order_release); }

  absl::flat_hash_map<std::string, Known> known_;
  absl::flat_hash_map<uint32_t, std::string> known_by_kernel_id_;
  absl::flat_hash_map<std::string, Failure> failed_;
  std::atomic<size_t> unparsed_{0};
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_KNOWN_MODULES_H_
