// The flow table (DESIGN.md §2.1): FlowKey -> FlowRef in an rte_hash with
// lock-free readers. Written only by the control thread; read by every worker
// lcore without locks. Deleted keys are reclaimed through rte_rcu_qsbr once
// every registered worker has reported a quiescent state.
#pragma once

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "dataplane/flow/flow_key.hpp"

namespace edgesfu::dp::flow {

inline constexpr uint32_t kLookupBurst = 64;  // RTE_HASH_LOOKUP_BULK_MAX

class FlowTable {
 public:
  // `readers`: worker lcores that will look up (each registers its index).
  static Result<std::unique_ptr<FlowTable>> create(const std::string& name, uint32_t capacity,
                                                   int socket, uint32_t readers);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Control thread only. Inserting a key that exists is an error.
  Status insert(const FlowKey& key, FlowRef ref);
  Status remove(const FlowKey& key);

  // Worker lcores: up to kLookupBurst keys; bit i of the result is set when
  // keys[i] was found, and refs[i] then holds its value.
  uint64_t lookup_burst(const FlowKey* const* keys, uint32_t n, FlowRef* refs) const;

  // Worker lcore `reader`: register once before the first lookup, then report
  // a quiescent state once per loop iteration (no references held across it).
  void register_reader(unsigned reader);
  void unregister_reader(unsigned reader);
  void quiescent(unsigned reader) { rte_rcu_qsbr_quiescent(qsbr_, reader); }

  // Entries in use, including deleted ones not yet reclaimed through RCU.
  uint32_t count() const { return static_cast<uint32_t>(rte_hash_count(hash_)); }

 private:
  FlowTable() = default;
  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* qsbr_ = nullptr;
};

}  // namespace edgesfu::dp::flow
