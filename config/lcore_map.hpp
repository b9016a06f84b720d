// dataplane.lcore_map: DPDK EAL's --lcores syntax, read without the EAL so
// that a config is checked before the appliance starts (pure).
//
//   map     := element (',' element)*
//   element := ids ('@' cpus)?    (no '@': the lcores on the CPUs of their numbers)
//   ids     := set;  cpus := set
//   set     := n | n '-' m | '(' item (',' item)* ')'   item := n | n '-' m
//
// "0@(0-1),1@0,2@1": lcore 0 on CPUs 0-1, lcore 1 on CPU 0, lcore 2 on CPU 1.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace edgesfu::config {

struct LcoreMap {
  std::set<unsigned> lcores;  // the lcore ids it enables
  std::set<unsigned> cpus;    // the CPUs they run on
};

// False with `why` when `text` is not in the syntax above, names an lcore
// twice, or a number past `max_id` (lcores and CPUs alike).
bool parse_lcore_map(std::string_view text, unsigned max_id, LcoreMap& out, std::string& why);

}  // namespace edgesfu::config
