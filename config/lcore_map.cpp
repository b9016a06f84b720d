#include "config/lcore_map.hpp"

#include <cctype>
#include <cstdint>

namespace edgesfu::config {

namespace {

class Reader {
 public:
  Reader(std::string_view s, unsigned max_id, std::string& why) : s_(s), max_(max_id), why_(why) {}

  bool done() const { return i_ == s_.size(); }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool fail(const std::string& what) {
    if (why_.empty()) why_ = what + " at offset " + std::to_string(i_);
    return false;
  }

  // set := n | n '-' m | '(' item (',' item)* ')'
  bool set(std::set<unsigned>& out) {
    if (!eat('(')) return item(out);
    do {
      if (!item(out)) return false;
    } while (eat(','));
    return eat(')') || fail("expected ')' or ','");
  }

 private:
  bool number(unsigned& v) {
    if (i_ >= s_.size() || std::isdigit(static_cast<unsigned char>(s_[i_])) == 0)
      return fail("expected a number");
    uint64_t n = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])) != 0) {
      n = n * 10 + static_cast<unsigned>(s_[i_++] - '0');
      if (n > max_) return fail("number past " + std::to_string(max_));
    }
    v = static_cast<unsigned>(n);
    return true;
  }
  // item := n | n '-' m
  bool item(std::set<unsigned>& out) {
    unsigned a = 0, b = 0;
    if (!number(a)) return false;
    b = a;
    if (eat('-') && !number(b)) return false;
    if (b < a) return fail("range " + std::to_string(a) + "-" + std::to_string(b) + " runs down");
    for (unsigned v = a; v <= b; ++v) out.insert(v);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  unsigned max_;
  std::string& why_;
};

}  // namespace

bool parse_lcore_map(std::string_view text, unsigned max_id, LcoreMap& out, std::string& why) {
  out = {};
  why.clear();
  if (text.empty()) {
    why = "empty";
    return false;
  }
  Reader r(text, max_id, why);
  do {
    std::set<unsigned> ids, cpus;
    if (!r.set(ids)) return false;
    if (r.eat('@')) {
      if (!r.set(cpus)) return false;
    } else {
      cpus = ids;  // each lcore on the CPU of its own number
    }
    for (unsigned id : ids) {
      if (!out.lcores.insert(id).second) return r.fail("lcore " + std::to_string(id) + " twice");
    }
    out.cpus.insert(cpus.begin(), cpus.end());
  } while (r.eat(','));
  if (!r.done()) return r.fail("unexpected character");
  return true;
}

}  // namespace edgesfu::config
