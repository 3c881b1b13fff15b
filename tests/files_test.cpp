// Reading and writing files: the one reading function (read_input), the one
// writing class (AtomicFile) every output goes through, and what the commands
// do with them: no output over an input, device, FIFO, read-only file or hard
// link; no edit lost to `fmt`; no temporary file left behind; errors that say
// why. docs/cli.md ("Input and output files") and docs/fmt.md.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/atomic_file.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::cli;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

void write_plain(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

void append(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::app);
  out << content;
}

// The names in `dir`, sorted.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

// Larger than any pid_max Linux allows (PID_MAX_LIMIT is 2^22): never alive.
constexpr long kDeadPid = 4194305;

std::string example_line() {
  std::string text = read_file(source("examples/profiles/example.json"));
  std::string line;
  for (char c : text)
    if (c != '\n') line += c;
  return line;
}

// Resets the test seams of atomic_file.cpp whatever a test does.
struct Seams {
  ~Seams() {
    detail::set_before_replace_hook(nullptr);
    detail::fail_atomic_write_at(detail::AtomicWriteStep::None);
    detail::use_unnamed_temp_files(true);
  }
};

struct Ran {
  int code;
  std::string out, err;
};

Ran fmt_files(std::vector<std::string> paths) {
  FmtOptions o;
  o.paths = std::move(paths);
  std::ostringstream out, err;
  int code = cmd_fmt(o, out, err);
  return {code, out.str(), err.str()};
}

const std::string kUnformatted = "const   a = 1\n";
const std::string kFormatted = "const a = 1\n";

}  // namespace

// ---- reading ---------------------------------------------------------------------

TEST_CASE("read_input: reads a regular file whole, with its stamp", "[files][read]") {
  TempDir dir;
  std::string path = dir.file("a.rules", std::string("a\0b\n", 4));
  std::string out, error;
  std::optional<FileStamp> stamp;
  REQUIRE(read_input(path, 100, out, error, &stamp));
  CHECK(out == std::string("a\0b\n", 4));
  REQUIRE(stamp);
  CHECK(*stamp == *stamp_of_path(path));
  CHECK(stamp->size == 4);
}

TEST_CASE("read_input: says what is wrong, without the file's name", "[files][read]") {
  TempDir dir;
  std::string out, error;
  SECTION("a missing file") {
    CHECK_FALSE(read_input((dir.path / "none.json").string(), 100, out, error));
    CHECK(error == "no such file");
  }
  SECTION("a path through a file") {
    std::string file = dir.file("f", "x");
    CHECK_FALSE(read_input(file + "/x.json", 100, out, error));
    CHECK(error == "cannot open the file: a part of the path is not a directory");
  }
  SECTION("a loop of symbolic links gives the system's reason") {
    fs::create_symlink("b.json", dir.path / "a.json");
    fs::create_symlink("a.json", dir.path / "b.json");
    CHECK_FALSE(read_input((dir.path / "a.json").string(), 100, out, error));
    CHECK(error == "cannot open the file: too many levels of symbolic links");
  }
  SECTION("a directory") {
    CHECK_FALSE(read_input(dir.path.string(), 100, out, error, nullptr, "a profile file (a JSON object)"));
    CHECK(error == "is a directory; give a profile file (a JSON object)");
  }
  SECTION("a FIFO is refused without waiting for a writer") {
    fs::path fifo = dir.path / "p.json";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(read_input(fifo.string(), 100, out, error, nullptr, "a profile file (a JSON object)"));
    CHECK(error == "not a regular file (a device, pipe or socket); give a profile file (a JSON object)");
  }
  SECTION("a device is refused without being read") {
    CHECK_FALSE(read_input("/dev/zero", 100, out, error));
    CHECK(error == "not a regular file (a device, pipe or socket); give a file");
  }
  SECTION("a file over the limit") {
    std::string file = dir.file("big", std::string(101, 'a'));
    CHECK_FALSE(read_input(file, 100, out, error));
    CHECK(error == "the file is 101 bytes; it may be at most 100 bytes");
  }
  SECTION("an unreadable file gives the system's reason") {
    if (::geteuid() == 0) {
      WARN("running as root: permissions do not stop root; os_reason(EACCES) is checked below");
      return;
    }
    std::string file = dir.file("locked.json", "{}");
    fs::permissions(file, fs::perms::none);
    CHECK_FALSE(read_input(file, 100, out, error));
    CHECK(error == "cannot open the file: permission denied");
  }
}

TEST_CASE("os_reason: the system's reasons in lowercase words", "[files]") {
  CHECK(os_reason(EACCES) == "permission denied");
  CHECK(os_reason(ENOSPC) == "no space left on the device");
  CHECK(os_reason(EPIPE) == "the reading end of the pipe was closed (broken pipe)");
  CHECK(os_reason(ENOENT) == "no such file or directory");
  CHECK(os_reason(EBADF) == "bad file descriptor");  // from strerror, lowercased
}

// ---- atomic writes ---------------------------------------------------------------

TEST_CASE("atomic write: replaces the content and keeps the permissions", "[files][atomic]") {
  TempDir dir;
  fs::path target = dir.path / "a.rules";
  write_plain(target, "old content that is longer than the new one\n");
  REQUIRE(::chmod(target.c_str(), 0640) == 0);
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "new\n", error));
  CHECK(error.empty());
  CHECK(read_file(target.string()) == "new\n");
  CHECK((stat_of(target).st_mode & 07777) == 0640);
  CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});  // no temporary file left behind
}

TEST_CASE("atomic write: keeps the owner and group", "[files][atomic]") {
  if (::geteuid() != 0) {
    WARN("not root: only root can give a file to another user; the refusal is checked below");
    return;
  }
  TempDir dir;
  fs::path target = dir.path / "a.rules";
  write_plain(target, "old\n");
  REQUIRE(::chown(target.c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod(target.c_str(), 0664) == 0);
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "new\n", error));
  struct stat st = stat_of(target);
  CHECK(st.st_uid == 65534);
  CHECK(st.st_gid == 65534);
  CHECK((st.st_mode & 07777) == 0664);
  CHECK(read_file(target.string()) == "new\n");
}

TEST_CASE("atomic write: creates a missing file", "[files][atomic]") {
  TempDir dir;
  fs::path target = dir.path / "new.rules";
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "const a = 1\n", error));
  CHECK(read_file(target.string()) == "const a = 1\n");
  mode_t umask_now = ::umask(0);
  ::umask(umask_now);
  CHECK((stat_of(target).st_mode & 07777) == (0666 & ~umask_now));
  CHECK(entries(dir.path) == std::vector<std::string>{"new.rules"});
}

TEST_CASE("atomic write: writes through a symbolic link", "[files][atomic]") {
  TempDir dir;
  fs::path real = dir.path / "real.rules";
  fs::path link = dir.path / "link.rules";
  write_plain(real, "old\n");
  fs::create_symlink("real.rules", link);
  std::string error;
  REQUIRE(write_file_atomically(link.string(), "new\n", error));
  CHECK(fs::is_symlink(link));
  CHECK(read_file(real.string()) == "new\n");
  CHECK(entries(dir.path) == std::vector<std::string>{"link.rules", "real.rules"});
}

TEST_CASE("atomic write: refuses what is not a plain file of its own", "[files][atomic]") {
  TempDir dir;
  std::string error;

  SECTION("a directory") {
    fs::path sub = dir.path / "sub.rules";
    fs::create_directory(sub);
    write_plain(sub / "inside", "x");
    CHECK_FALSE(write_file_atomically(sub.string(), "new\n", error));
    CHECK(error == "it is a directory; give a file to write");
    CHECK(read_file((sub / "inside").string()) == "x");
  }
  SECTION("a FIFO stays a FIFO") {
    fs::path fifo = dir.path / "out.jsonl";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(write_file_atomically(fifo.string(), "new\n", error));
    CHECK(error ==
          "it is not a regular file (a device, pipe or socket); leave the option out and redirect standard output "
          "to it instead");
    CHECK(S_ISFIFO(stat_of(fifo).st_mode));
    CHECK(entries(dir.path) == std::vector<std::string>{"out.jsonl"});
  }
  SECTION("a device stays a device") {
    if (::geteuid() != 0) {
      WARN("not root: cannot make a device node to test with");
      return;
    }
    // A private copy of /dev/full, so that a failure here cannot harm the system's.
    fs::path dev = dir.path / "full";
    REQUIRE(::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0);
    fs::path link = dir.path / "link";
    fs::create_symlink("full", link);
    for (const fs::path& p : {dev, link}) {
      CHECK_FALSE(write_file_atomically(p.string(), "new\n", error));
      CHECK(error.rfind("it is not a regular file (a device, pipe or socket)", 0) == 0);
    }
    CHECK(S_ISCHR(stat_of(dev).st_mode));
    CHECK(entries(dir.path) == (std::vector<std::string>{"full", "link"}));
  }
  SECTION("a read-only file, even for root") {
    fs::path target = dir.path / "a.rules";
    write_plain(target, "original\n");
    REQUIRE(::chmod(target.c_str(), 0444) == 0);
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error));
    CHECK(error == "it is read-only (mode 0444); make it writable (`chmod u+w`) if it should be replaced");
    CHECK(read_file(target.string()) == "original\n");
    CHECK((stat_of(target).st_mode & 07777) == 0444);
  }
  SECTION("a file with another hard link") {
    fs::path target = dir.path / "a.rules";
    fs::path other = dir.path / "b.rules";
    write_plain(target, "original\n");
    fs::create_hard_link(target, other);
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error));
    CHECK(error ==
          "it has 2 hard links, which replacing it would split (the other names would keep the old content); "
          "make it a file of its own first (`cp FILE FILE.new && mv FILE.new FILE`)");
    CHECK(read_file(target.string()) == "original\n");
    CHECK(stat_of(target).st_ino == stat_of(other).st_ino);
  }
  SECTION("one of the inputs, by device and inode whatever the name") {
    fs::path input = dir.path / "in.jsonl";
    write_plain(input, "input\n");
    fs::create_symlink("in.jsonl", dir.path / "sym.jsonl");
    WriteOptions wo;
    wo.inputs.emplace_back("in.jsonl", *stamp_of_path(input.string()));
    for (const char* name : {"in.jsonl", "sym.jsonl"}) {
      CHECK_FALSE(write_file_atomically((dir.path / name).string(), "new\n", error, wo));
      CHECK(error == "it is the input `in.jsonl` (the same file); write the output to another file");
    }
    CHECK(read_file(input.string()) == "input\n");
    // Another file is fine.
    CHECK(write_file_atomically((dir.path / "out.jsonl").string(), "new\n", error, wo));
  }
}

TEST_CASE("atomic write: who may replace a file", "[files][atomic]") {
  struct stat st {};
  st.st_mode = S_IFREG | 0644;
  st.st_uid = 0;
  st.st_nlink = 1;
  // The owner, or root, with write permission.
  CHECK(detail::refusal_to_replace(st, 0, true).empty());
  // No write permission (access(W_OK) failed): a root-owned 0644 file in a
  // world-writable directory is not replaced by another user.
  CHECK(detail::refusal_to_replace(st, 1000, false) ==
        "you may not write it (permission denied: it belongs to uid 0 and its mode is 0644)");
  // Writable by the user (0666) but owned by another: replacing it would change its owner.
  st.st_mode = S_IFREG | 0666;
  CHECK(detail::refusal_to_replace(st, 1000, true) ==
        "it belongs to another user (uid 0) and replacing it would make it yours; only its owner or root may "
        "replace it");
  st.st_uid = 1000;
  CHECK(detail::refusal_to_replace(st, 1000, true).empty());
  // No write bit at all: refused even for root.
  st.st_mode = S_IFREG | 0444;
  CHECK(detail::refusal_to_replace(st, 0, true).rfind("it is read-only (mode 0444)", 0) == 0);
  st.st_mode = S_IFREG | 0644;
  st.st_nlink = 3;
  CHECK(detail::refusal_to_replace(st, 1000, true).rfind("it has 3 hard links", 0) == 0);
}

TEST_CASE("atomic write: a failure leaves the original untouched", "[files][atomic]") {
  TempDir dir;
  Seams seams;
  std::string error;

  SECTION("the directory does not exist") {
    fs::path target = dir.path / "missing" / "a.rules";
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error));
    CHECK(error == "cannot create a temporary file in `" + (dir.path / "missing").string() +
                       "`: no such file or directory");
    CHECK(entries(dir.path).empty());
  }
  SECTION("the directory is not writable") {
    if (::geteuid() == 0) {
      WARN("running as root: permissions do not stop root, so this case is covered by the "
           "injected failures below");
      return;
    }
    fs::path target = dir.path / "a.rules";
    write_plain(target, "original\n");
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error));
    CHECK(error == "cannot create a temporary file in `" + dir.path.string() + "`: permission denied");
    fs::permissions(dir.path, fs::perms::owner_all);
    CHECK(read_file(target.string()) == "original\n");
  }
  SECTION("a step fails after the temporary file exists") {
    using detail::AtomicWriteStep;
    for (bool unnamed : {true, false}) {
      detail::use_unnamed_temp_files(unnamed);
      for (AtomicWriteStep step : {AtomicWriteStep::Write, AtomicWriteStep::Sync, AtomicWriteStep::Close,
                                   AtomicWriteStep::Rename}) {
        INFO("failing step " << static_cast<int>(step) << (unnamed ? ", O_TMPFILE" : ", named"));
        fs::path target = dir.path / "a.rules";
        write_plain(target, "original\n");
        detail::fail_atomic_write_at(step);
        CHECK_FALSE(write_file_atomically(target.string(), std::string(100000, 'x'), error));
        detail::fail_atomic_write_at(AtomicWriteStep::None);
        CHECK(error.size() > 0);
        CHECK(error.find(": input/output error (the file is unchanged)") != std::string::npos);
        CHECK(read_file(target.string()) == "original\n");
        CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});  // the temporary file is gone
      }
    }
  }
}

// ---- changes made while a file is rewritten ----------------------------------------

TEST_CASE("atomic write: a file changed after it was read is left as it is", "[files][atomic]") {
  TempDir dir;
  Seams seams;
  fs::path target = dir.path / "a.rules";
  write_plain(target, "original\n");
  std::string text, error;
  std::optional<FileStamp> stamp;
  REQUIRE(read_input(target.string(), 1000, text, error, &stamp));
  WriteOptions wo;
  wo.unchanged_since = stamp;

  SECTION("changed before the write began") {
    append(target, "an edit\n");
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error, wo));
    CHECK(error == "the file changed after it was read; it is left as it is");
  }
  SECTION("changed while the new content was being written, just before the rename") {
    detail::set_before_replace_hook([&] { append(target, "an edit\n"); });
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error, wo));
    CHECK(error ==
          "the file changed while it was being rewritten (another program wrote it); it is left as that program "
          "made it");
  }
  SECTION("replaced by another file with the same size and time") {
    detail::set_before_replace_hook([&] {
      fs::path other = dir.path / "other";
      write_plain(other, "ORIGINAL\n");
      struct timespec times[2] = {{0, UTIME_OMIT}, {stamp->mtime_sec, static_cast<long>(stamp->mtime_nsec)}};
      REQUIRE(::utimensat(AT_FDCWD, other.c_str(), times, 0) == 0);
      fs::rename(other, target);  // only the inode tells
      text = "ORIGINAL\n";
    });
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error, wo));
  }
  SECTION("removed meanwhile") {
    detail::set_before_replace_hook([&] { fs::remove(target); });
    CHECK_FALSE(write_file_atomically(target.string(), "new\n", error, wo));
    CHECK(error == "the file was removed while it was being rewritten");
    CHECK(entries(dir.path).empty());
    return;
  }
  if (text == "original\n") text += "an edit\n";
  CHECK(read_file(target.string()) == text);
  CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});
}

TEST_CASE("fmt: a line appended while the file is formatted is kept", "[files][fmt]") {
  TempDir dir;
  Seams seams;
  fs::path target = dir.path / "a.rules";
  write_plain(target, kUnformatted);
  detail::set_before_replace_hook([&] { append(target, "const b = 2\n"); });
  Ran r = fmt_files({target.string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == target.string() +
                     ": error: not formatted: the file changed while it was being rewritten (another program wrote "
                     "it); it is left as that program made it\n");
  CHECK(read_file(target.string()) == kUnformatted + "const b = 2\n");
  CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});
}

// ---- which files fmt rewrites ----------------------------------------------------

TEST_CASE("fmt: read-only files and hard links are refused; others keep mode and owner", "[files][fmt]") {
  TempDir dir;
  fs::path ro = dir.path / "ro.rules";
  write_plain(ro, kUnformatted);
  REQUIRE(::chmod(ro.c_str(), 0444) == 0);
  fs::path linked = dir.path / "linked.rules";
  write_plain(linked, kUnformatted);
  fs::create_hard_link(linked, dir.path / "other-name");
  fs::path plain = dir.path / "plain.rules";
  write_plain(plain, kUnformatted);
  REQUIRE(::chmod(plain.c_str(), 0600) == 0);

  Ran r = fmt_files({ro.string(), linked.string(), plain.string()});
  CHECK(r.code == 2);
  CHECK(r.out == plain.string() + ": formatted\n");
  CHECK(r.err == ro.string() +
                     ": error: not formatted: it is read-only (mode 0444); make it writable (`chmod u+w`) if it "
                     "should be replaced\n" +
                     linked.string() +
                     ": error: not formatted: it has 2 hard links, which replacing it would split (the other names "
                     "would keep the old content); make it a file of its own first (`cp FILE FILE.new && mv "
                     "FILE.new FILE`)\n");
  CHECK(read_file(ro.string()) == kUnformatted);
  CHECK(read_file(linked.string()) == kUnformatted);
  CHECK(read_file(plain.string()) == kFormatted);
  CHECK((stat_of(plain).st_mode & 07777) == 0600);
  CHECK(stat_of(plain).st_uid == ::geteuid());
}

TEST_CASE("fmt: exit codes for what it cannot do", "[files][fmt]") {
  TempDir dir;
  SECTION("a folder without rule files is said, exit 2") {
    fs::create_directory(dir.path / "empty");
    Ran r = fmt_files({(dir.path / "empty").string()});
    CHECK(r.code == 2);
    CHECK(r.err == (dir.path / "empty").string() + ": error: the directory holds no `.rules` files; nothing to format\n");
  }
  SECTION("an unreadable file is exit 2, as docs/cli.md says for bad input") {
    fs::path fifo = dir.path / "f.rules";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    Ran r = fmt_files({fifo.string()});
    CHECK(r.code == 2);
    CHECK(r.err == fifo.string() + ": error: not a regular file (a device, pipe or socket); give a rule file\n");
  }
  SECTION("a syntax error is exit 1, as for `advise check`") {
    std::string bad = dir.file("bad.rules", "const = 1\n");
    Ran r = fmt_files({bad});
    CHECK(r.code == 1);
    CHECK(read_file(bad) == "const = 1\n");
  }
}

// ---- temporary files ------------------------------------------------------------

TEST_CASE("atomic write: the temporary file has no name until it is complete", "[files][atomic][tmp]") {
  TempDir dir;
  Seams seams;
  fs::path target = dir.path / "a.rules";
  write_plain(target, "original\n");
  int probe = ::open(dir.path.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (probe < 0) {
    WARN("O_TMPFILE is not supported here; the named fallback is tested below");
    return;
  }
  ::close(probe);
  std::vector<std::string> seen;
  detail::set_before_replace_hook([&] { seen = entries(dir.path); });
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "new\n", error));
  CHECK(seen == std::vector<std::string>{"a.rules"});  // a kill here would leave nothing behind
  CHECK(read_file(target.string()) == "new\n");
  CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});
}

TEST_CASE("atomic write: a named temporary file carries the writer's pid", "[files][atomic][tmp]") {
  TempDir dir;
  Seams seams;
  detail::use_unnamed_temp_files(false);
  fs::path target = dir.path / "a.rules";
  write_plain(target, "original\n");
  std::vector<std::string> seen;
  detail::set_before_replace_hook([&] { seen = entries(dir.path); });
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "new\n", error));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].rfind(".a.rules.tmp-" + std::to_string(::getpid()) + "-", 0) == 0);
  CHECK(entries(dir.path) == std::vector<std::string>{"a.rules"});
}

TEST_CASE("atomic write: temporary files of dead writers are removed", "[files][atomic][tmp]") {
  TempDir dir;
  const std::string dead = std::to_string(kDeadPid);
  const std::string alive = std::to_string(::getpid());
  for (const std::string& name : std::vector<std::string>{".a.rules.tmp-" + dead + "-abc",  // a dead writer's: removed
                                  ".a.rules.tmp-" + alive + "-abc",     // a live writer's: kept
                                  ".a.rules.tmp-0-abc",                 // pid 0 is no writer: kept
                                  ".a.rules.tmp-x1y2z3ab",              // no pid (older versions): kept
                                  ".a.rules.tmp-" + dead,               // not our pattern: kept
                                  ".b.rules.tmp-" + dead + "-abc",      // another file's: kept
                                  "a.rules"})
    write_plain(dir.path / name, "x");
  fs::create_directory(dir.path / (".a.rules.tmp-" + dead + "-dir"));  // not a file: kept

  CHECK(detail::remove_stale_temp_files(dir.path.string(), "a.rules") == 1);
  std::vector<std::string> expected{".a.rules.tmp-" + alive + "-abc", ".a.rules.tmp-" + dead,
                                    ".a.rules.tmp-" + dead + "-dir",  ".a.rules.tmp-0-abc",
                                    ".a.rules.tmp-x1y2z3ab",          ".b.rules.tmp-" + dead + "-abc",
                                    "a.rules"};
  std::sort(expected.begin(), expected.end());
  CHECK(entries(dir.path) == expected);

  // The next write of a.rules cleans up as well.
  write_plain(dir.path / (".a.rules.tmp-" + dead + "-def"), "left by a killed fmt");
  std::string error;
  REQUIRE(write_file_atomically((dir.path / "a.rules").string(), "new\n", error));
  CHECK(entries(dir.path) == expected);
}

// ---- outputs of the commands -----------------------------------------------------

namespace {

BatchOptions batch_options(const std::string& input) {
  BatchOptions o;
  o.input = input;
  o.kb_dir = source("kb");
  o.rules = {source("rules")};
  o.timing = false;
  return o;
}

}  // namespace

TEST_CASE("batch -o: the output is never the input, a device or a FIFO", "[files][batch]") {
  TempDir dir;
  const std::string content = example_line() + "\n";
  std::string input = dir.file("in.jsonl", content);
  std::ostringstream out, err;

  SECTION("the input itself, a hard link or a symbolic link to it") {
    fs::create_hard_link(input, dir.path / "hard.jsonl");
    fs::create_symlink("in.jsonl", dir.path / "sym.jsonl");
    for (const char* name : {"in.jsonl", "hard.jsonl", "sym.jsonl"}) {
      BatchOptions o = batch_options(input);
      o.output = (dir.path / name).string();
      std::ostringstream o1, e1;
      CHECK(cmd_batch(o, o1, e1) == 2);
      CHECK(e1.str() == o.output + ": error: cannot write the results: it is the input `" + input +
                            "` (the same file); write the output to another file\n");
    }
    CHECK(read_file(input) == content);
  }
  SECTION("a FIFO") {
    fs::path fifo = dir.path / "out.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    BatchOptions o = batch_options(input);
    o.output = fifo.string();
    CHECK(cmd_batch(o, out, err) == 2);
    CHECK(S_ISFIFO(stat_of(fifo).st_mode));
    CHECK(err.str().find("it is not a regular file (a device, pipe or socket)") != std::string::npos);
  }
  SECTION("a symbolic link to a new file: the link stays, the file is written") {
    fs::create_symlink("target.jsonl", dir.path / "link.jsonl");
    BatchOptions o = batch_options(input);
    o.output = (dir.path / "link.jsonl").string();
    CHECK(cmd_batch(o, out, err) == 0);
    CHECK(fs::is_symlink(dir.path / "link.jsonl"));
    CHECK(read_file((dir.path / "target.jsonl").string()).rfind("{\"line\":1,", 0) == 0);
  }
}

TEST_CASE("run -o: the output is never the profile", "[files][run]") {
  TempDir dir;
  std::string profile = dir.file("p.json", read_file(source("examples/profiles/example.json")));
  fs::create_hard_link(profile, dir.path / "hard.json");
  for (const char* name : {"p.json", "hard.json"}) {
    RunOptions o;
    o.profile = profile;
    o.kb_dir = source("kb");
    o.rules = {source("rules")};
    o.output = (dir.path / name).string();
    std::ostringstream out, err;
    CHECK(cmd_run(o, out, err) == 2);
    CHECK(err.str() == o.output + ": error: cannot write the report: it is the input `" + profile +
                           "` (the same file); write the output to another file\n");
  }
  CHECK(read_file(profile) == read_file(source("examples/profiles/example.json")));
}
