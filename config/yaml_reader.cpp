#include "config/yaml_reader.hpp"

#include <charconv>

namespace edgesfu::config {

YamlReader::YamlReader(const YAML::Node& node, std::string path, std::vector<std::string>* errors)
    : node_(node), path_(std::move(path)), errors_(errors) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) {
    errors_->push_back((path_.empty() ? std::string("config") : path_) +
                       ": expected a mapping of keys" + line_of(node_));
    return;
  }
  is_map_ = true;
  // yaml-cpp keeps the last of duplicated keys silently; a duplicate is almost
  // always a mistake in an operator's file, so report it.
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      errors_->push_back(path_ + ": keys must be plain strings" + line_of(kv.first));
      continue;
    }
    const std::string& k = kv.first.Scalar();
    if (!index_.try_emplace(k, kv.first, kv.second).second) {
      errors_->push_back(key_path(k.c_str()) + ": duplicate key" + line_of(kv.first));
    }
  }
}

std::string YamlReader::key_path(const char* key) const {
  if (key == nullptr) return path_.empty() ? "config" : path_;
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

std::string YamlReader::line_of(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return " (line " + std::to_string(m.line + 1) + ")";
}

void YamlReader::fail(const char* key, const std::string& reason) {
  std::string where;
  if (key != nullptr) {
    const auto it = index_.find(std::string_view(key));
    if (it != index_.end()) where = line_of(it->second.first);
  }
  errors_->push_back(key_path(key) + ": " + reason + where);
}

bool YamlReader::has(const char* key) const {
  return index_.find(std::string_view(key)) != index_.end();
}

YAML::Node YamlReader::lookup(const char* key) {
  seen_.insert(key);
  const auto it = index_.find(std::string_view(key));
  return it != index_.end() ? it->second.second : YAML::Node(YAML::NodeType::Undefined);
}

bool YamlReader::scalar(const char* key, const YAML::Node& n, std::string& text) {
  if (!n.IsScalar()) {
    fail(key, n.IsNull() ? "has no value" : "expected a single value, got a list or mapping");
    return false;
  }
  text = n.Scalar();
  return true;
}

void YamlReader::read_uint(const char* key, uint64_t min, uint64_t max, uint64_t& out) {
  const YAML::Node n = lookup(key);
  if (!n.IsDefined()) return;
  std::string text;
  if (!scalar(key, n, text)) return;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (ec == std::errc::result_out_of_range) {
    fail(key, "'" + text + "' is out of range " + range);
    return;
  }
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    fail(key, "expected a non-negative integer, got '" + text + "'");
    return;
  }
  if (v < min || v > max) {
    fail(key, std::to_string(v) + " is out of range " + range);
    return;
  }
  out = v;
}

void YamlReader::read_string(const char* key, std::string& out) {
  const YAML::Node n = lookup(key);
  if (!n.IsDefined()) return;
  std::string text;
  if (scalar(key, n, text)) out = text;
}

void YamlReader::read_uint_list(const char* key, uint64_t min, uint64_t max,
                                std::vector<unsigned>& out) {
  const YAML::Node n = lookup(key);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    fail(key, "expected a list of integers, e.g. [1, 2]");
    return;
  }
  std::vector<unsigned> values;
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string text;
    if (!n[i].IsScalar()) {
      fail(key, "item " + std::to_string(i) + " is not a single value");
      return;
    }
    text = n[i].Scalar();
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < min ||
        v > max) {
      fail(key, "item " + std::to_string(i) + " '" + text + "' is not an integer in [" +
                    std::to_string(min) + ", " + std::to_string(max) + "]");
      return;
    }
    values.push_back(static_cast<unsigned>(v));
  }
  out = std::move(values);
}

void YamlReader::read_string_list(const char* key, std::vector<std::string>& out) {
  const YAML::Node n = lookup(key);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    fail(key, "expected a list of strings");
    return;
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      fail(key, "item " + std::to_string(i) + " is not a single value");
      return;
    }
    values.push_back(n[i].Scalar());
  }
  out = std::move(values);
}

int YamlReader::read_choice(const char* key, const std::vector<std::string_view>& choices) {
  const YAML::Node n = lookup(key);
  if (!n.IsDefined()) return -1;
  std::string text;
  if (!scalar(key, n, text)) return -1;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return static_cast<int>(i);
  }
  std::string list;
  for (const auto c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  fail(key, "'" + text + "' is not one of: " + list);
  return -1;
}

std::vector<std::string> YamlReader::keys_of(const char* key) const {
  std::vector<std::string> out;
  const auto it = index_.find(std::string_view(key));
  if (it == index_.end() || !it->second.second.IsMap()) return out;
  for (const auto& inner : it->second.second) {
    if (inner.first.IsScalar()) out.push_back(inner.first.Scalar());
  }
  return out;
}

YamlReader YamlReader::child(const char* key) {
  const YAML::Node n = lookup(key);
  return YamlReader(n, key_path(key), errors_);
}

void YamlReader::finish() {
  if (!is_map_) return;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) continue;
    const std::string k = kv.first.Scalar();
    if (seen_.count(k) == 0) {
      errors_->push_back(key_path(k.c_str()) + ": unknown key" + line_of(kv.first));
    }
  }
}

}  // namespace edgesfu::config
