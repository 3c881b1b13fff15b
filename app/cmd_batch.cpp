// advise batch [FILE|-]: many applicants, JSON Lines in, JSON Lines out.
//
// One output line per input line, in input order, each starting with the
// input's line number (docs/cli.md, "The batch record"):
//   - a profile that validates: {"line": N, "carried": {x_ fields}, ...the
//     JSON report of `advise --format json` (docs/report.md), compact}; with
//     "input_warnings" after "carried" when the line has warnings (with
//     --catalog, a program connection to an id the catalog lacks)
//   - a line that does not: {"line": N, "errors": [{"path", "column",
//     "message", "suggestion"}]}; the batch goes on
//   - an empty line: {"line": N, "skipped": "empty line"}; not a failure
// A summary goes to stderr, and a progress bar when stderr is a terminal and
// the run takes more than a second. Exit 0 when every line was advised, 1 when
// any line failed or the rules misbehaved for it, 2 when the batch could not
// start (bad input file, bad rules, bad usage).
//
// With --jobs N, worker threads take chunks of lines while the main thread
// reads ahead and writes finished chunks strictly in input order; the Engine
// and RuleSet are immutable and shared.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <new>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/atomic_file.hpp"
#include "app/catalog.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/explain.hpp"
#include "engine/render.hpp"
#include "engine/render_json.hpp"
#include "kb/limits.hpp"
#include "kb/profile.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace {

using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkLines = 64;
constexpr int kMaxJobs = 256;
// The batch format of --rules-once: a header line with the rule table, then
// records of report schema 2 (docs/cli.md, "The batch record").
constexpr int kBatchFormatRulesOnce = 2;

// One input line. Lines longer than the profile limit are not kept, only measured.
struct Line {
  std::size_t number = 0;
  std::string text;
  std::size_t bytes = 0;
  bool too_long = false;
};

// Reads lines of any length with bounded memory; strips "\n" and "\r\n".
class LineReader {
 public:
  explicit LineReader(std::FILE* f) : f_(f), buf_(1 << 16) {}
  bool next(Line& line) {
    line.text.clear();
    line.bytes = 0;
    line.too_long = false;
    bool any = false;
    while (true) {
      if (pos_ == len_) {
        len_ = std::fread(buf_.data(), 1, buf_.size(), f_);
        pos_ = 0;
        consumed_ += len_;
        if (len_ == 0) {
          if (!any) return false;
          break;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      std::size_t n = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
      append(start, n, line);
      pos_ += n;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!line.too_long && !line.text.empty() && line.text.back() == '\r') line.text.pop_back();
    if (line.too_long && last_was_cr_) --line.bytes;
    line.number = ++number_;
    return true;
  }
  bool failed() const { return std::ferror(f_) != 0; }
  std::size_t consumed() const { return consumed_; }

 private:
  void append(const char* p, std::size_t n, Line& line) {
    if (n > 0) last_was_cr_ = p[n - 1] == '\r';
    line.bytes += n;
    if (line.too_long) return;
    if (line.bytes > kMaxProfileBytes + 1) {  // +1: a "\r" that will be stripped
      line.too_long = true;
      line.text.clear();
      line.text.shrink_to_fit();
      return;
    }
    line.text.append(p, n);
  }

  std::FILE* f_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, len_ = 0, number_ = 0, consumed_ = 0;
  bool last_was_cr_ = false;
};

enum class Status { Ok, Failed, Skipped, RuleProblem };

struct Outcome {
  std::string record;  // one JSON line, with its "\n"
  Status status = Status::Ok;
  bool warned = false;  // the record has `input_warnings`
};

// DEL, C1 and bidirectional controls as \u escapes too (kb/sanitize.hpp), as in the reports.
std::string dump(const ojson& j) { return json_terminal_safe(j.dump(-1, ' ', false, ojson::error_handler_t::replace)); }

// The problems of a line as a record's `errors` or `input_warnings`:
// [{"path", "column", "message", "suggestion"}, ...].
ojson problem_list(const std::vector<DataError>& problems) {
  ojson list = ojson::array();
  for (const DataError& e : problems) {
    ojson j = ojson::object();
    j["path"] = e.path.empty() ? ojson(nullptr) : ojson(e.path);
    j["column"] = e.column ? ojson(e.column) : ojson(nullptr);
    j["message"] = e.message;
    j["suggestion"] = e.suggestion ? ojson(*e.suggestion) : ojson(nullptr);
    list.push_back(std::move(j));
  }
  return list;
}

std::string error_record(std::size_t line, const std::vector<DataError>& errors) {
  ojson rec = ojson::object();
  rec["line"] = line;
  rec["errors"] = problem_list(errors);
  return dump(rec) + "\n";
}

struct Context {
  const Engine& engine;
  const RuleSet& rules;
  const KnowledgeBase& kb;
  std::string shown;  // the input as messages name it
  std::size_t record_size_hint = 16384;
  const std::vector<FactRecord>* facts = nullptr;  // the catalog (--catalog), read once
  const TemplateSet* templates = nullptr;          // the rules' templates, with the catalog
  RulesUsed used;     // which rules and knowledge base, for each record's `rules`
  RuleStyle rule_style = RuleStyle::Inline;  // ByName with --rules-once
};

Outcome process(const Context& cx, const Line& line) {
  Outcome o;
  if (line.too_long) {
    o.status = Status::Failed;
    o.record = error_record(line.number, {{cx.shown, "", 0, 0,
                                           size_limit_message("the line", line.bytes, "a profile", kMaxProfileBytes),
                                           {}}});
    return o;
  }
  if (line.text.find_first_not_of(" \t\r") == std::string::npos) {
    o.status = Status::Skipped;
    o.record = "{\"line\":" + std::to_string(line.number) + ",\"skipped\":\"empty line\"}\n";
    return o;
  }
  std::string source = cx.shown + ":" + std::to_string(line.number);
  std::vector<DataError> errors;
  auto profile = load_profile(line.text, source, cx.kb, errors);
  if (!profile) {
    o.status = Status::Failed;
    o.record = error_record(line.number, errors);
    return o;
  }
  // As `advise --catalog` warns on stderr: the profile's connections to
  // programs the catalog does not hold, located in the line.
  std::vector<DataError> warnings;
  if (cx.facts && cx.templates) {
    warnings = connection_warnings(*profile, *cx.templates, *cx.facts);
    locate_data_errors(line.text, source, warnings, 0);
  }
  EngineOptions eo;
  eo.facts = cx.facts;
  Result result = cx.engine.evaluate(*profile, eo);
  Report report = build_report(result, ReportOptions{});
  report.used = cx.used;
  bool misbehaved = report.runaway.has_value();
  for (const ConflictExplanation& c : report.conflicts) misbehaved = misbehaved || c.error;
  o.status = misbehaved ? Status::RuleProblem : Status::Ok;
  // {"line":N,"carried":{...}, then the report's own keys, written straight
  // into the record (kb/json_writer.hpp).
  std::string record;
  record.reserve(cx.record_size_hint);
  JsonWriter w(record);
  w.begin_object();
  w.key("line");
  w.integer(static_cast<unsigned long long>(line.number));
  w.key("carried");
  w.raw(dump(profile->carried));
  if (!warnings.empty()) {
    w.key("input_warnings");
    w.raw(dump(problem_list(warnings)));
    o.warned = true;
  }
  write_report_json(w, report, cx.rules, cx.rule_style);
  w.end_object();
  record += '\n';
  o.record = std::move(record);  // terminal-safe as written (kb/json_writer.hpp)
  return o;
}

Outcome process_guarded(const Context& cx, const Line& line) {
  try {
    return process(cx, line);
  } catch (const std::bad_alloc&) {
    return {error_record(line.number, {{cx.shown, "", 0, 0,
                                         "out of memory while evaluating this line; try fewer `--jobs`", {}}}),
            Status::Failed, false};
  } catch (const std::exception& e) {
    // Never lose a line, never take the batch down with one.
    return {error_record(line.number, {{cx.shown, "", 0, 0, std::string("internal error: ") + e.what(), {}}}),
            Status::Failed, false};
  }
}

struct Counts {
  std::size_t lines = 0, ok = 0, failed = 0, skipped = 0, rule_problems = 0, warned = 0;
  void add(Status s, bool with_warnings) {
    ++lines;
    if (with_warnings) ++warned;
    switch (s) {
      case Status::Ok: ++ok; break;
      case Status::Failed: ++failed; break;
      case Status::Skipped: ++skipped; break;
      case Status::RuleProblem: ++rule_problems; break;
    }
  }
};

// Where the records go: standard output (the stream), or an AtomicFile that
// replaces --output only once the batch is complete.
class Sink {
 public:
  Sink(std::ostream& out, const std::string& path) : out_(out), path_(path) {}
  bool open(const WriteOptions& options, std::string& error) {
    return path_.empty() || file_.open(path_, options, error);
  }
  bool write(const std::string& s) {
    if (path_.empty()) return write_output(out_, s, error_);
    return file_.write(s, error_);
  }
  // Puts the file in place; on failure `error` says why (once).
  bool commit(bool written, std::string& error) {
    if (!written) {
      error = error_;
      return false;
    }
    if (path_.empty()) return true;
    return file_.commit(error);
  }

 private:
  std::ostream& out_;
  std::string path_, error_;
  AtomicFile file_;
};

// The progress bar: on a terminal, after the first second, at most five times a second.
// Progress on standard error while a batch runs (when asked: the CLI asks
// when standard error is a terminal, or with --progress): lines done, of the
// total when the input is a file, lines refused so far and lines per second,
// redrawn on one line at most four times a second and erased at the end.
class Progress {
 public:
  Progress(std::ostream& err, bool enabled, std::size_t total_lines)
      : err_(err), enabled_(enabled), total_(total_lines), start_(Clock::now()) {}
  void update(const Counts& c) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    std::string line = "\rbatch: ";
    if (total_ > 0) {
      double f = std::min(1.0, static_cast<double>(c.lines) / static_cast<double>(total_));
      auto filled = static_cast<std::size_t>(f * 20);
      line += "[" + std::string(filled, '#') + std::string(20 - filled, ' ') + "] " +
              std::to_string(c.lines) + "/" + std::to_string(total_) + " lines";
    } else {
      line += std::to_string(c.lines) + (c.lines == 1 ? " line" : " lines");
    }
    line += ", " + std::to_string(c.failed) + " refused";
    if (secs > 0) {
      char rate[48];
      std::snprintf(rate, sizeof rate, ", %.0f lines/s", static_cast<double>(c.lines) / secs);
      line += rate;
    }
    err_ << line << "\033[K" << std::flush;
    shown_ = true;
  }
  void clear() {
    if (shown_) err_ << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  std::ostream& err_;
  bool enabled_;
  std::size_t total_;
  Clock::time_point start_, last_;
  bool shown_ = false;
};

// The lines of a regular file, as LineReader counts them (the last one needs
// no line end), for the progress line; 0 when it cannot be read.
std::size_t count_lines(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return 0;
  std::vector<char> buf(1 << 16);
  std::size_t lines = 0, n = 0;
  char last = '\n';
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    for (const char* p = buf.data(); (p = static_cast<const char*>(std::memchr(p, '\n', n - static_cast<std::size_t>(p - buf.data()))));) {
      ++lines;
      ++p;
      if (p == buf.data() + n) break;
    }
    last = buf[n - 1];
  }
  return lines + (last != '\n' ? 1 : 0);
}

struct Chunk {
  std::size_t seq = 0;
  std::vector<Line> lines;
  std::string records;
  std::vector<Status> statuses;
  std::vector<bool> warned;
};

void run_chunk(const Context& cx, Chunk& c) {
  c.statuses.reserve(c.lines.size());
  c.warned.reserve(c.lines.size());
  for (const Line& l : c.lines) {
    Outcome o = process_guarded(cx, l);
    c.records += o.record;
    c.statuses.push_back(o.status);
    c.warned.push_back(o.warned);
  }
  c.lines.clear();
  c.lines.shrink_to_fit();
}

// Reads a chunk of lines; false at the end of the input.
bool read_chunk(LineReader& reader, Chunk& c) {
  c.lines.clear();
  Line l;
  while (c.lines.size() < kChunkLines && reader.next(l)) c.lines.push_back(std::move(l));
  return !c.lines.empty();
}

}  // namespace

int cmd_batch(const BatchOptions& o, std::ostream& out, std::ostream& err) {
  const std::string shown = o.input == "-" ? "<stdin>" : o.input;
  auto fail_input = [&](const std::string& message) {
    err << DataError{shown, "", 0, 0, message, {}}.text() << "\n";
    return kExitUsage;
  };
  // The input first: a wrong path is the commonest mistake and needs no rules.
  // A pipe or a device is read as a stream; only a directory is refused.
  std::FILE* in = stdin;
  std::uintmax_t total_bytes = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  if (o.input != "-") {
    struct stat st {};
    if (::stat(o.input.c_str(), &st) != 0)
      return fail_input(errno == ENOENT ? "no such file" : "cannot open the file: " + os_reason(errno));
    if (S_ISDIR(st.st_mode)) return fail_input("is a directory; give a JSON Lines file (one profile a line)");
    owned.reset(std::fopen(o.input.c_str(), "rb"));
    if (!owned) return fail_input("cannot open the file: " + os_reason(errno));
    in = owned.get();
    if (S_ISREG(st.st_mode)) total_bytes = static_cast<std::uintmax_t>(st.st_size);
  }
  // What --output may not overwrite: the input, by device and inode (also
  // when standard input is redirected from a file).
  WriteOptions write_options;
  if (struct stat st {}; ::fstat(::fileno(in), &st) == 0 && S_ISREG(st.st_mode))
    write_options.inputs.emplace_back(shown, *stamp_of_fd(::fileno(in)));
  if (o.jobs < 0) {
    err << "advise batch: --jobs must be 0 (every core) or more\n";
    return kExitUsage;
  }

  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  std::vector<std::string> paths = rules_with_catalog(o.rules, !o.catalogs.empty());
  auto loaded = load_rules_or_report(paths, kb_dir, err);
  if (!loaded) return kExitUsage;
  spdlog::info("{} rules checked ({} warnings)", loaded->rules->rules.size(), loaded->diags.warning_count());
  // The catalog is read once, before the first line, and shared (read-only)
  // by every thread's evaluations.
  std::vector<FactRecord> catalog;
  if (!o.catalogs.empty() && !read_catalogs(o.catalogs, kb_dir, *loaded->rules, catalog, err)) return kExitUsage;

  Sink sink(out, o.output);
  {
    std::string error;
    if (!sink.open(write_options, error)) {
      err << DataError{o.output, "", 0, 0, "cannot write the results: " + error, {}}.text() << "\n";
      return kExitUsage;
    }
  }

  int jobs = o.jobs == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : o.jobs;
  jobs = std::min(jobs, kMaxJobs);
  spdlog::info("batch: reading {} with {} thread{}", shown, jobs, jobs == 1 ? "" : "s");

  if (o.input == "-" && isatty(STDIN_FILENO))
    err << "advise batch: reading profiles from the terminal, one JSON object a line; end with Ctrl-D\n";

  Engine engine(loaded->rules);
  RulesUsed used{{}, shown_path(kb_dir)};
  for (const std::string& p : paths) used.paths.push_back(shown_path(p));
  TemplateSet templates;  // for the connection warnings, with a catalog
  if (!o.catalogs.empty()) templates.templates = loaded->rules->templates;
  Context cx{engine,
             *loaded->rules,
             *loaded->kb,
             shown,
             16384,
             o.catalogs.empty() ? nullptr : &catalog,
             o.catalogs.empty() ? nullptr : &templates,
             std::move(used),
             o.rules_once ? RuleStyle::ByName : RuleStyle::Inline};
  LineReader reader(in);
  Counts counts;
  bool write_ok = true;
  if (o.rules_once) {
    // Batch format 2: the rule table once, before the first record.
    std::string header;
    JsonWriter w(header);
    w.begin_object();
    w.key("advise_batch");
    w.integer(kBatchFormatRulesOnce);
    w.key("schema_version");
    w.integer(kReportSchemaVersionRulesByName);
    w.key("rule_table");
    write_rule_table_json(w, *loaded->rules);
    w.end_object();
    header += '\n';
    write_ok = sink.write(header);
  }
  Progress progress(err, o.progress, o.progress && total_bytes > 0 ? count_lines(o.input) : 0);
  auto start = Clock::now();

  auto deliver = [&](Chunk& c) {
    for (std::size_t i = 0; i < c.statuses.size(); ++i) counts.add(c.statuses[i], c.warned[i]);
    if (write_ok) write_ok = sink.write(c.records);
    progress.update(counts);
  };

  if (jobs == 1) {
    Chunk c;
    while (write_ok && read_chunk(reader, c)) {
      c.records.clear();
      c.statuses.clear();
      c.warned.clear();
      run_chunk(cx, c);
      deliver(c);
    }
  } else {
    // Workers take chunks from `todo` and leave them in `done`; this thread
    // reads ahead (at most `limit` chunks in flight) and writes in order.
    std::mutex mu;
    std::condition_variable work_cv, done_cv;
    std::deque<std::unique_ptr<Chunk>> todo;
    std::map<std::size_t, std::unique_ptr<Chunk>> done;
    bool closing = false;
    std::vector<std::thread> workers;
    for (int i = 0; i < jobs; ++i)
      workers.emplace_back([&] {
        while (true) {
          std::unique_ptr<Chunk> c;
          {
            std::unique_lock lock(mu);
            work_cv.wait(lock, [&] { return closing || !todo.empty(); });
            if (todo.empty()) return;
            c = std::move(todo.front());
            todo.pop_front();
          }
          run_chunk(cx, *c);
          {
            std::lock_guard lock(mu);
            std::size_t seq = c->seq;
            done.emplace(seq, std::move(c));
          }
          done_cv.notify_one();
        }
      });
    const std::size_t limit = static_cast<std::size_t>(jobs) * 4;
    std::size_t next_read = 0, next_write = 0;
    auto write_ready = [&](bool wait_for_one) {
      while (true) {
        std::unique_ptr<Chunk> c;
        {
          std::unique_lock lock(mu);
          if (wait_for_one) done_cv.wait(lock, [&] { return done.count(next_write) > 0; });
          auto it = done.find(next_write);
          if (it == done.end()) return;
          c = std::move(it->second);
          done.erase(it);
        }
        deliver(*c);
        ++next_write;
        wait_for_one = false;
      }
    };
    while (write_ok) {  // a failed write (disk full, closed pipe) stops the reading
      auto c = std::make_unique<Chunk>();
      if (!read_chunk(reader, *c)) break;
      c->seq = next_read++;
      {
        std::lock_guard lock(mu);
        todo.push_back(std::move(c));
      }
      work_cv.notify_one();
      write_ready(false);
      while (next_read - next_write >= limit) write_ready(true);
    }
    {
      std::lock_guard lock(mu);
      closing = true;
    }
    work_cv.notify_all();
    while (next_write < next_read) write_ready(true);
    for (std::thread& t : workers) t.join();
  }
  progress.clear();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();

  if (reader.failed()) {
    err << DataError{shown, "", 0, 0, std::string("cannot read the input after line ") +
                                          std::to_string(counts.lines) + ": " + os_reason(errno), {}}
               .text()
        << "\n";
    return kExitUsage;
  }
  std::string error;
  if (!sink.commit(write_ok, error)) {
    err << DataError{o.output.empty() ? "<stdout>" : o.output, "", 0, 0, "cannot write the results: " + error, {}}
               .text()
        << "\n";
    return kExitUsage;
  }

  err << "batch: " << counts.ok << " ok, " << counts.failed << " failed, ";
  if (counts.rule_problems)
    err << counts.rule_problems << " with rule conflicts or runaway rules, ";
  if (counts.skipped) err << counts.skipped << " empty skipped, ";
  if (counts.warned) err << counts.warned << " with input warnings, ";
  err << counts.lines << (counts.lines == 1 ? " line" : " lines");
  if (o.timing) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", secs);
    err << " in " << buf << " s";
  }
  err << "\n";
  return counts.failed || counts.rule_problems ? kExitFindings : kExitOk;
}

}  // namespace advise::cli
