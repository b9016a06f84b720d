#include "slowpath/metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace edgesfu::sp::metrics {
namespace {

std::string label_text(const Labels& l, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  if (l.empty() && extra_name.empty()) return {};
  std::string s = "{";
  for (const auto& [k, v] : l) {
    if (s.size() > 1) s += ',';
    s += k + "=\"" + escape_label_value(v) + '"';
  }
  if (!extra_name.empty()) {
    if (s.size() > 1) s += ',';
    s += std::string(extra_name) + "=\"" + std::string(extra_value) + '"';
  }
  return s + '}';
}

void sample(std::string& out, std::string_view name, const std::string& labels,
            const std::string& value) {
  out.append(name).append(labels).append(" ").append(value).append("\n");
}

}  // namespace

void Histogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN or a clock that went back
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++le_[i];
  }
  ++count_;
  sum_ += seconds;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_label_value(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      s += "\\\\";
    } else if (c == '"') {
      s += "\\\"";
    } else if (c == '\n') {
      s += "\\n";
    } else {
      s += c;
    }
  }
  return s;
}

Exposition::Family& Exposition::family(std::string_view name, std::string_view help,
                                       std::string_view type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    order_.emplace_back(name);
    it = families_.emplace(std::string(name), Family{std::string(help), std::string(type), {}})
             .first;
    if (!valid_metric_name(name)) it->second.conflict = true;
  } else if (it->second.type != type || it->second.help != help) {
    it->second.conflict = true;
  }
  return it->second;
}

void Exposition::counter(std::string_view name, std::string_view help, uint64_t v,
                         const Labels& l) {
  sample(family(name, help, "counter").samples, name, label_text(l), std::to_string(v));
}

void Exposition::counter(std::string_view name, std::string_view help, double v, const Labels& l) {
  sample(family(name, help, "counter").samples, name, label_text(l), format_value(v));
}

void Exposition::gauge(std::string_view name, std::string_view help, double v, const Labels& l) {
  sample(family(name, help, "gauge").samples, name, label_text(l), format_value(v));
}

void Exposition::histogram(std::string_view name, std::string_view help, const Histogram& h,
                           const Labels& l) {
  std::string& out = family(name, help, "histogram").samples;
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
    sample(out, bucket, label_text(l, "le", format_value(Histogram::kBounds[i])),
           std::to_string(h.cumulative()[i]));
  }
  sample(out, bucket, label_text(l, "le", "+Inf"), std::to_string(h.count()));
  sample(out, std::string(name) + "_sum", label_text(l), format_value(h.sum()));
  sample(out, std::string(name) + "_count", label_text(l), std::to_string(h.count()));
}

std::string Exposition::text() const {
  std::string out;
  for (const auto& name : order_) {
    const Family& f = families_.find(name)->second;
    if (f.conflict) {
      out += "# edgesfu: metric " + name + " left out: bad name, or two types or helps\n";
      continue;
    }
    std::string help;  // HELP escapes backslashes and newlines
    for (const char c : f.help) {
      if (c == '\\') {
        help += "\\\\";
      } else if (c == '\n') {
        help += "\\n";
      } else {
        help += c;
      }
    }
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + f.type + "\n" + f.samples;
  }
  return out;
}

}  // namespace edgesfu::sp::metrics
