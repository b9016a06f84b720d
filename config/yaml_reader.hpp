// A strict reader over one YAML mapping: every key must be read by the schema
// or it is reported as unknown; every scalar is checked for type and range.
// Errors are collected (not thrown) as "key.path: reason (line N)".
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgesfu::config {

class YamlReader {
 public:
  // `node` may be undefined/null (an absent section): every read then keeps its
  // default. Anything else that is not a mapping is an error.
  YamlReader(const YAML::Node& node, std::string path, std::vector<std::string>* errors);

  // Each read leaves `out` unchanged when the key is absent.
  void read_uint(const char* key, uint64_t min, uint64_t max, uint64_t& out);
  template <typename T>
  void read_uint_as(const char* key, uint64_t min, uint64_t max, T& out) {
    uint64_t v = out;
    read_uint(key, min, max, v);
    out = static_cast<T>(v);
  }
  void read_string(const char* key, std::string& out);
  void read_uint_list(const char* key, uint64_t min, uint64_t max, std::vector<unsigned>& out);
  void read_string_list(const char* key, std::vector<std::string>& out);

  // Reads a string that must be one of `choices`; returns its index or -1.
  int read_choice(const char* key, const std::vector<std::string_view>& choices);

  // The keys of the nested mapping `key` (for maps whose keys are data).
  std::vector<std::string> keys_of(const char* key) const;

  // A nested mapping; absent keys read as an empty mapping.
  YamlReader child(const char* key);

  // Records an error at this mapping's `key` (or the mapping itself if null).
  void fail(const char* key, const std::string& reason);
  bool has(const char* key) const;

  // Reports every key that no read asked for. Call once, after all reads.
  void finish();

  const std::string& path() const { return path_; }

 private:
  std::string key_path(const char* key) const;
  std::string line_of(const YAML::Node& n) const;
  YAML::Node lookup(const char* key);
  bool scalar(const char* key, const YAML::Node& n, std::string& text);

  YAML::Node node_;
  // The mapping's plain keys, each to its key node (for line numbers) and
  // value, made once: a lookup walked the whole mapping before, copying
  // node handles, so a document with many keys took quadratic time.
  std::map<std::string, std::pair<YAML::Node, YAML::Node>, std::less<>> index_;
  std::string path_;
  std::vector<std::string>* errors_;
  std::set<std::string> seen_;
  bool is_map_ = false;
};

}  // namespace edgesfu::config
