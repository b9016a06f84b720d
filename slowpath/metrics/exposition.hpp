// Prometheus' text exposition format (0.0.4), for /metrics on
// prometheus_port: families of counters, gauges and histograms, each with
// its HELP and TYPE once and its samples together, label values escaped.
// Pure: the appliance fills it from its counters; unit-tested.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgesfu::sp::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Durations in seconds, in Prometheus' default buckets (5 ms to 10 s).
class Histogram {
 public:
  static constexpr std::array<double, 11> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10};
  void observe(double seconds);
  // Cumulative counts per bound (le), then +Inf = count().
  const std::array<uint64_t, kBounds.size()>& cumulative() const { return le_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::array<uint64_t, kBounds.size()> le_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Exposition {
 public:
  // Families may be added to in any order; text() writes each in one piece,
  // in the order of their first sample. A name is [a-zA-Z_:][a-zA-Z0-9_:]*
  // (counters end in _total); a name reused with another type or help is
  // a programming error that text() reports as a comment.
  void counter(std::string_view name, std::string_view help, uint64_t v, const Labels& l = {});
  void counter(std::string_view name, std::string_view help, double v, const Labels& l = {});
  // Any other type would convert ambiguously: say uint64_t or double.
  template <typename T>
  void counter(std::string_view, std::string_view, T, const Labels& = {}) = delete;
  void gauge(std::string_view name, std::string_view help, double v, const Labels& l = {});
  void histogram(std::string_view name, std::string_view help, const Histogram& h,
                 const Labels& l = {});
  std::string text() const;

 private:
  struct Family {
    std::string help, type, samples;
    bool conflict = false;
  };
  Family& family(std::string_view name, std::string_view help, std::string_view type);
  std::vector<std::string> order_;
  std::map<std::string, Family, std::less<>> families_;
};

// A sample value as Prometheus reads it ("NaN", "+Inf", shortest round trip).
std::string format_value(double v);
bool valid_metric_name(std::string_view name);
std::string escape_label_value(std::string_view v);

}  // namespace edgesfu::sp::metrics
