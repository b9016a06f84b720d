#include "dataplane/flow/flow_table.hpp"

#include <rte_errno.h>
#include <rte_malloc.h>

namespace edgesfu::dp::flow {

Result<std::unique_ptr<FlowTable>> FlowTable::create(const std::string& name, uint32_t capacity,
                                                     int socket, uint32_t readers) {
  std::unique_ptr<FlowTable> t(new FlowTable());
  const std::size_t qsz = rte_rcu_qsbr_get_memsize(readers);
  t->qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc_socket("flow_qsbr", qsz, RTE_CACHE_LINE_SIZE, socket));
  if (t->qsbr_ == nullptr || rte_rcu_qsbr_init(t->qsbr_, readers) != 0) {
    return make_error("flow table: cannot set up RCU for " + std::to_string(readers) + " readers");
  }
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity < 8 ? 8 : capacity;
  p.key_len = sizeof(FlowKey);
  p.socket_id = socket;
  // Lock-free readers, one writer (the control thread); deleted key slots are
  // freed through the RCU defer queue added below.
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
  t->hash_ = rte_hash_create(&p);
  if (t->hash_ == nullptr) {
    return make_error("flow table: rte_hash_create: " + std::string(rte_strerror(rte_errno)));
  }
  rte_hash_rcu_config rc{};
  rc.v = t->qsbr_;
  rc.mode = RTE_HASH_QSBR_MODE_DQ;
  if (rte_hash_rcu_qsbr_add(t->hash_, &rc) != 0) {
    return make_error("flow table: rte_hash_rcu_qsbr_add: " + std::string(rte_strerror(rte_errno)));
  }
  return t;
}

FlowTable::~FlowTable() {
  if (hash_ != nullptr) rte_hash_free(hash_);
  rte_free(qsbr_);
}

Status FlowTable::insert(const FlowKey& key, FlowRef ref) {
  // rte_hash_add_key_data replaces an existing key's data: refuse instead, a
  // second participant must never take over another's flow.
  if (rte_hash_lookup(hash_, &key) >= 0) {
    return make_error("flow table: this remote address and port already has a flow on this local port");
  }
  void* data = reinterpret_cast<void*>(static_cast<uintptr_t>(ref.pack()));
  const int rc = rte_hash_add_key_data(hash_, &key, data);
  if (rc != 0) return make_error("flow table: add: " + std::string(rte_strerror(-rc)));
  return ok_status();
}

Status FlowTable::remove(const FlowKey& key) {
  const int rc = rte_hash_del_key(hash_, &key);
  if (rc < 0) return make_error("flow table: no such flow");
  return ok_status();
}

uint64_t FlowTable::lookup_burst(const FlowKey* const* keys, uint32_t n, FlowRef* refs) const {
  void* data[kLookupBurst];
  uint64_t hits = 0;
  if (n == 0) return 0;
  if (n > kLookupBurst) n = kLookupBurst;
  const void* k[kLookupBurst];
  for (uint32_t i = 0; i < n; ++i) k[i] = keys[i];
  if (rte_hash_lookup_bulk_data(hash_, k, n, &hits, data) < 0) {
    return 0;
  }
  for (uint32_t i = 0; i < n; ++i) {
    if ((hits >> i) & 1) refs[i] = FlowRef::unpack(reinterpret_cast<uintptr_t>(data[i]));
  }
  return hits;
}

void FlowTable::register_reader(unsigned reader) {
  rte_rcu_qsbr_thread_register(qsbr_, reader);
  rte_rcu_qsbr_thread_online(qsbr_, reader);
}

void FlowTable::unregister_reader(unsigned reader) {
  rte_rcu_qsbr_thread_offline(qsbr_, reader);
  rte_rcu_qsbr_thread_unregister(qsbr_, reader);
}

}  // namespace edgesfu::dp::flow
