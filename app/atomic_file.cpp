#include "app/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

namespace advise {
namespace {

namespace fs = std::filesystem;

std::atomic<detail::AtomicWriteStep> g_fail{detail::AtomicWriteStep::None};

// True (with errno set) when a test asked this step to fail.
bool injected(detail::AtomicWriteStep step) {
  if (g_fail.load() != step) return false;
  errno = EIO;
  return true;
}

std::string quoted(const std::string& path) { return "`" + path + "`"; }

std::string errno_text(int err) { return std::strerror(err); }

// A name no other file in `dir` has: `.NAME.tmp-XXXXXXXX`, created with
// O_EXCL so that it is ours alone.
int create_temp(const fs::path& dir, const std::string& name, mode_t mode, std::string& tmp) {
  static std::mt19937_64 rng{static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count() ^ (static_cast<std::uint64_t>(::getpid()) << 32))};
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix;
    for (int i = 0; i < 8; ++i) suffix += digits[rng() % 36];
    tmp = (dir / ("." + name + ".tmp-" + suffix)).string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

bool write_all(int fd, std::string_view content) {
  if (injected(detail::AtomicWriteStep::Write)) return false;
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void detail::fail_atomic_write_at(AtomicWriteStep step) { g_fail.store(step); }

bool write_file_atomically(const std::string& path, std::string_view content, std::string& error) {
  // Follow a symbolic link to the file it names, so the link stays a link.
  fs::path target(path);
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    fs::path resolved = fs::weakly_canonical(target, ec);
    if (!ec) target = resolved;
  }

  struct stat st {};
  bool exists = false;
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error = "cannot write " + quoted(path) + ": it is a directory";
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      error = "cannot write " + quoted(path) + ": it is not a regular file";
      return false;
    }
    exists = true;
  } else if (errno != ENOENT) {
    error = "cannot write " + quoted(path) + ": " + errno_text(errno);
    return false;
  }

  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp;
  // A new file gets 0666 less the umask (applied by open); an existing one
  // its own mode, set below once the file is ours.
  int fd = create_temp(dir, target.filename().string(), exists ? 0600 : 0666, tmp);
  if (fd < 0) {
    error = "cannot create a temporary file in " + quoted(dir.string()) + ": " + errno_text(errno);
    return false;
  }

  auto fail = [&](const std::string& what) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    error = "cannot write " + quoted(path) + ": " + what + ": " + errno_text(err) +
            (exists ? " (the file is unchanged)" : "");
    return false;
  };

  if (exists) {
    if (::fchmod(fd, st.st_mode & 07777) != 0) return fail("cannot set the permissions");
    struct stat mine {};
    if (::fstat(fd, &mine) == 0 && (mine.st_uid != st.st_uid || mine.st_gid != st.st_gid)) {
      // Only root may give a file away; others keep their own ownership.
      [[maybe_unused]] int ignored = ::fchown(fd, st.st_uid, st.st_gid);
    }
  }
  if (!write_all(fd, content)) return fail("writing failed");
  if (injected(detail::AtomicWriteStep::Sync) || ::fsync(fd) != 0) return fail("flushing to disk failed");
  int closing = fd;
  fd = -1;
  if (injected(detail::AtomicWriteStep::Close)) {
    int err = errno;
    ::close(closing);
    errno = err;
    return fail("closing failed");
  }
  if (::close(closing) != 0) return fail("closing failed");
  if (injected(detail::AtomicWriteStep::Rename) || ::rename(tmp.c_str(), target.c_str()) != 0)
    return fail("replacing the file failed");

  // Make the rename itself durable; the new content is in place either way.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  error.clear();
  return true;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot read " + quoted(path) + ": " + errno_text(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "cannot read " + quoted(path) + ": it is a directory";
    return false;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot read " + quoted(path) + ": " + errno_text(errno);
    return false;
  }
  std::string data;
  if (S_ISREG(st.st_mode)) data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      error = "cannot read " + quoted(path) + ": " + errno_text(err);
      return false;
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  out = std::move(data);
  error.clear();
  return true;
}

}  // namespace advise
