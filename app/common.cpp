#include "app/common.hpp"

#include "kb/limits.hpp"
#include "kb/suggest.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "app/startup_cache.hpp"
#include "dsl/rule_cache.hpp"
#include "kb/profile.hpp"

namespace advise::cli {

namespace fs = std::filesystem;

std::optional<std::string> find_project(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return std::nullopt;
  dir = dir.lexically_normal();
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (int depth = 0; depth < 256 && !dir.empty(); ++depth) {
    fs::path rules = dir / "rules";
    if (fs::is_directory(rules, ec)) {
      for (fs::directory_iterator it(rules, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        if (it->path().extension() == ".rules") return dir.string();
    }
    if (dir == dir.root_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

namespace {

// $ADVISE_HOME, else the installed data, else the source tree.
std::string home_dir() {
  if (const char* home = std::getenv("ADVISE_HOME"); home && *home) return home;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "advise";
    if (fs::exists(installed / "kb" / "schema.json", ec)) return installed.string();
  }
  if (fs::exists(fs::path(ADVISE_INSTALL_DATA_DIR) / "kb" / "schema.json", ec)) return ADVISE_INSTALL_DATA_DIR;
  return ADVISE_SOURCE_DATA_DIR;
}

}  // namespace

DataSource data_source() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (!ec)
    if (auto p = find_project(cwd.string())) return {*p, "project"};
  if (const char* home = std::getenv("ADVISE_HOME"); home && *home) return {home, "$ADVISE_HOME"};
  return {home_dir(), "bundled"};
}

std::string data_dir() { return data_source().dir; }
std::string bundled_data_dir() { return home_dir(); }

std::string shown_path(const std::string& dir) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return dir;
  fs::path rel = fs::path(dir).lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return dir;
  return rel.string();
}

std::string path_suggestion(const std::string& path) {
  if (path.empty() || path == "-") return "";
  fs::path p(path);
  fs::path dir = p.parent_path();
  std::string name = p.filename().string();
  if (name.empty()) return "";
  std::error_code ec;
  std::vector<std::string> names;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
    if (names.size() > 10000) break;  // a huge folder: no suggestion is better than a slow one
  }
  auto best = did_you_mean(name, names);
  if (!best) return "";
  return "; did you mean `" + (dir.empty() ? *best : (dir / *best).string()) + "`?";
}

std::string default_kb_dir() {
  std::error_code ec;
  std::string own = data_dir() + "/kb";
  if (fs::exists(own + "/schema.json", ec)) return own;
  return home_dir() + "/kb";
}
std::string default_rules_dir() { return data_dir() + "/rules"; }

std::shared_ptr<const KnowledgeBase> load_kb_or_report(const std::string& kb_dir, std::ostream& err) {
  std::vector<DataError> errors;
  auto kb = load_knowledge_base(kb_dir, errors);
  if (!kb) {
    for (const auto& e : errors) err << e.text() << "\n";
    err << "advise: cannot load the knowledge base from " << kb_dir << "\n";
    return nullptr;
  }
  return std::make_shared<const KnowledgeBase>(std::move(*kb));
}

std::string bundled_rules_path() {
  std::string dir = default_rules_dir();
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (ec) return dir;
  std::filesystem::path rel = std::filesystem::path(dir).lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return dir;
  return rel.string();
}

namespace {

bool cache_disabled = false;

// The GNU build id of the main program (PT_NOTE of the first object).
int find_build_id(struct dl_phdr_info* info, std::size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const char* name = p + sizeof(ElfW(Nhdr));
      const char* desc = name + ((n->n_namesz + 3) & ~3u);
      const char* next = desc + ((n->n_descsz + 3) & ~3u);
      if (next > end) break;
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        out->assign(desc, n->n_descsz);
        return 1;
      }
      p = next;
    }
  }
  return 1;  // only the first object, the program itself
}

// Where a relative path is read from matters to the key: the rule files are
// named relative to the current folder.
bool any_relative(const std::vector<std::string>& paths, const std::string& kb_dir) {
  if (!kb_dir.empty() && kb_dir[0] != '/') return true;
  for (const std::string& p : paths)
    if (p.empty() || p[0] != '/') return true;
  return false;
}

}  // namespace

void disable_startup_cache() { cache_disabled = true; }

namespace {
// Never destroyed: reachable from a global until the process exits.
std::vector<std::shared_ptr<const void>>* kept = nullptr;
}  // namespace

void keep_loaded_until_exit() {
  if (!kept) kept = new std::vector<std::shared_ptr<const void>>();
}

void keep_until_exit(std::shared_ptr<const void> p) {
  if (kept) kept->push_back(std::move(p));
}

std::string startup_cache_dir() {
  if (cache_disabled) return "";
  if (const char* no = std::getenv("ADVISE_NO_CACHE"); no && *no && std::string_view(no) != "0") return "";
  if (const char* dir = std::getenv("ADVISE_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/advise";
  if (const char* home = std::getenv("HOME"); home && home[0] == '/') return std::string(home) + "/.cache/advise";
  return "";
}

std::string binary_id() {
  std::string id;
  dl_iterate_phdr(find_build_id, &id);
  if (!id.empty()) return "build-id:" + id;
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "";
  return "exe:" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
}

std::optional<Loaded> load_rules_or_report(const std::vector<std::string>& paths, const std::string& kb_dir,
                                           std::ostream& err) {
  // The start-up cache: a checked rule set read back, when every file it was
  // made from is unchanged (docs/engine.md, "Start-up").
  std::string cache = startup_cache_dir();
  RuleCacheKey key;
  if (!cache.empty()) {
    key.binary_id = binary_id();
    if (key.binary_id.empty()) cache.clear();
  }
  if (!cache.empty()) {
    key.kb_dir = kb_dir;
    key.paths = paths;
    if (any_relative(paths, kb_dir)) {
      std::error_code ec;
      key.cwd = fs::current_path(ec).string();
    }
    std::string why;
    if (auto hit = read_rule_cache(cache, key, why)) {
      std::string file = rule_cache_file(cache, key);
      spdlog::debug("start-up cache: read {}", file);
      touch_rule_cache(file, static_cast<std::int64_t>(std::time(nullptr)));  // used now: kept by the cleaning
      Loaded l;
      l.kb = std::move(hit->kb);
      l.sources = std::move(hit->sources);
      l.rules = std::move(hit->rules);
      l.diags = std::move(hit->diags);
      keep_until_exit(l.rules);
      keep_until_exit(l.kb);
      return l;
    }
    spdlog::debug("start-up cache: not used: {}", why);
  }
  Loaded l;
  l.kb = load_kb_or_report(kb_dir, err);
  if (!l.kb) return std::nullopt;
  l.sources = std::make_shared<SourceManager>();
  auto rs = load_rule_set(paths, l.kb, l.sources, l.diags);
  if (!rs) {
    Diagnostics errors_only;
    err << render_text(*l.sources, l.diags);
    err << "advise: the rules have " << l.diags.error_count() << " error"
        << (l.diags.error_count() == 1 ? "" : "s") << "; run `advise check` on them for details\n";
    return std::nullopt;
  }
  l.rules = std::make_shared<const RuleSet>(std::move(*rs));
  if (!cache.empty()) {
    std::string why;
    if (write_rule_cache(cache, key, *l.kb, *l.rules, *l.sources, l.diags, why)) {
      std::string file = rule_cache_file(cache, key);
      spdlog::debug("start-up cache: wrote {}", file);
      // Stale entries go when a new one is written (dsl/rule_cache.hpp, prune_rule_cache).
      for (const std::string& gone :
           prune_rule_cache(cache, fs::path(file).filename().string(), static_cast<std::int64_t>(std::time(nullptr))))
        spdlog::debug("start-up cache: removed the stale {}/{}", cache, gone);
    } else {
      spdlog::debug("start-up cache: not written: {}", why);
    }
  }
  keep_until_exit(l.rules);
  keep_until_exit(l.kb);
  return l;
}

bool read_input(const std::string& path, std::size_t limit, std::string& out, std::string& error,
                std::optional<FileStamp>* stamp, std::string_view give, ReadFailure* failure) {
  ReadFailure ignored = ReadFailure::None;
  ReadFailure& why = failure ? *failure : ignored;
  why = ReadFailure::Other;
  if (path == "-") {
    // Read at most limit + 1 bytes: an endless input is refused, not buffered.
    out.clear();
    char buf[1 << 16];
    while (out.size() <= limit && std::cin.read(buf, sizeof buf).gcount() > 0)
      out.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (out.size() > limit) {
      out.clear();
      error = over_limit_message("the input", "it", limit);
      why = ReadFailure::TooLarge;
      return false;
    }
    if (stamp) {
      struct stat st {};
      if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) *stamp = stamp_of_fd(STDIN_FILENO);
    }
    why = ReadFailure::None;
    return true;
  }
  auto not_regular = [&](const struct stat& st) {
    if (S_ISDIR(st.st_mode))
      error = "is a directory; give " + std::string(give);
    else
      error = "not a regular file (a device, pipe or socket); give " + std::string(give);
    return false;
  };
  // Look before opening: opening a FIFO would wait for a writer, and a
  // device should not be opened at all.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    error = err == ENOENT ? "no such file" + path_suggestion(path) : "cannot open the file: " + os_reason(err);
    if (err == ENOENT) why = ReadFailure::NotFound;
    return false;
  }
  if (!S_ISREG(st.st_mode)) return not_regular(st);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    error = err == ENOENT ? "no such file" : "cannot open the file: " + os_reason(err);
    if (err == ENOENT) why = ReadFailure::NotFound;
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0) {
    error = "cannot read the file: " + os_reason(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) return not_regular(st);  // replaced since the look
  auto too_large = [&](std::uintmax_t size) {
    error = size_limit_message("the file", size, "it", limit);
    why = ReadFailure::TooLarge;
    return false;
  };
  if (static_cast<std::uintmax_t>(st.st_size) > limit) return too_large(static_cast<std::uintmax_t>(st.st_size));
  FileStamp before = *stamp_of_fd(fd);
  std::string data;
  data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  while (data.size() <= limit) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot read the file: " + os_reason(errno);
      return false;
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  if (data.size() > limit) {  // it grew while being read
    error = over_limit_message("the file", "it", limit);
    why = ReadFailure::TooLarge;
    return false;
  }
  if (stamp) {
    std::optional<FileStamp> after = stamp_of_fd(fd);
    if (!after || !(*after == before)) {
      error = "the file changed while it was being read; try again";
      return false;
    }
    *stamp = before;
  }
  out = std::move(data);
  why = ReadFailure::None;
  return true;
}

bool write_output(std::ostream& out, std::string_view data, std::string& error) {
  if (&out != &std::cout) {
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) error = "the stream refused the output";
    return static_cast<bool>(out);
  }
  std::cout.flush();
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = os_reason(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool deliver(std::ostream& out, std::ostream& err, const std::string& path, std::string_view rendered,
             const std::string& what, const WriteOptions& options) {
  std::string error;
  bool ok = path.empty() ? write_output(out, rendered, error) : write_file_atomically(path, rendered, error, options);
  if (!ok) err << DataError{path.empty() ? "<stdout>" : path, "", 0, 0, "cannot write the " + what + ": " + error, {}}.text() << "\n";
  return ok;
}

namespace {

// A stream buffer that hands its bytes on in chunks through `sink`, and after
// the first failure drops the rest (the failure's reason is kept).
class ChunkBuf : public std::streambuf {
 public:
  using Sink = std::function<bool(std::string_view, std::string&)>;
  explicit ChunkBuf(Sink sink) : sink_(std::move(sink)), buf_(std::make_unique<char[]>(kSize)) { reset(); }
  // Hands on what is buffered; false with `error` when any write failed.
  bool finish(std::string& error) {
    hand_on();
    if (failed_) error = error_;
    return !failed_;
  }

 protected:
  int_type overflow(int_type c) override {
    hand_on();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize left = n; left > 0;) {
      std::streamsize room = epptr() - pptr();
      if (room == 0) {
        hand_on();
        continue;
      }
      std::streamsize k = std::min(room, left);
      std::memcpy(pptr(), s, static_cast<std::size_t>(k));
      pbump(static_cast<int>(k));
      s += k;
      left -= k;
    }
    return n;
  }
  int sync() override {
    hand_on();
    return 0;
  }

 private:
  static constexpr std::size_t kSize = 64 * 1024;
  void reset() { setp(buf_.get(), buf_.get() + kSize); }
  void hand_on() {
    std::string_view chunk(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    if (!failed_ && !chunk.empty() && !sink_(chunk, error_)) failed_ = true;
    reset();
  }
  Sink sink_;
  std::unique_ptr<char[]> buf_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

bool deliver_streamed(std::ostream& out, std::ostream& err, const std::string& path,
                      const std::function<void(std::ostream&)>& render, const std::string& what,
                      const WriteOptions& options) {
  std::string error;
  AtomicFile file;
  bool ok = path.empty() || file.open(path, options, error);
  if (ok) {
    ChunkBuf buf([&](std::string_view chunk, std::string& e) {
      return path.empty() ? write_output(out, chunk, e) : file.write(chunk, e);
    });
    std::ostream stream(&buf);
    render(stream);
    ok = buf.finish(error) && (path.empty() || file.commit(error));
  }
  if (!ok) err << DataError{path.empty() ? "<stdout>" : path, "", 0, 0, "cannot write the " + what + ": " + error, {}}.text() << "\n";
  return ok;
}

bool use_color(int fd) {
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  return isatty(fd) != 0;
}

bool read_profile(const std::string& path, const std::string& shown, std::string& text, std::optional<FileStamp>& stamp,
                  std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << DataError{shown, "", 0, 0, message, {}}.text() << "\n";
    return false;
  };
  std::string error;
  if (!read_input(path, kMaxProfileBytes, text, error, &stamp, "a profile file (a JSON object)")) return fail(error);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(std::string(path == "-" ? "standard input" : "the file") + (text.empty() ? " is empty" : " holds only blanks") +
                "; a profile is a JSON object, like {\"stage\": \"ms3\", \"step2ck\": 251}");
  return true;
}

}  // namespace advise::cli
