#include "app/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>

namespace advise {
namespace {

std::atomic<detail::AtomicWriteStep> g_fail{detail::AtomicWriteStep::None};
std::atomic<bool> g_unnamed{true};
std::mutex g_hook_mu;
std::function<void()> g_hook;

// True (with errno set) when a test asked this step to fail.
bool injected(detail::AtomicWriteStep step) {
  if (g_fail.load() != step) return false;
  errno = EIO;
  return true;
}

FileStamp stamp_of(const struct stat& st) {
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<std::int64_t>(st.st_size);
  s.mtime_sec = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  s.mtime_nsec = static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  return s;
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string dir_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The file a chain of symbolic links ends at (the path itself when it is not
// a link; the last name of a dangling chain, which will be created).
std::string follow_links(std::string path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    std::string link(static_cast<std::size_t>(PATH_MAX), '\0');
    ssize_t n = ::readlink(path.c_str(), link.data(), link.size());
    if (n < 0) return path;
    link.resize(static_cast<std::size_t>(n));
    path = (link.front() == '/' || path.find('/') == std::string::npos) ? link : dir_of(path) + "/" + link;
  }
  return path;  // a loop: stat() below reports it
}

std::string random_suffix() {
  static std::mutex mu;
  static std::mt19937_64 rng{static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count() ^ (static_cast<std::uint64_t>(::getpid()) << 32))};
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::lock_guard lock(mu);
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix += digits[rng() % 36];
  return suffix;
}

// `.NAME.tmp-PID-`: the prefix of our named temporary files for NAME.
std::string temp_prefix(const std::string& name) { return "." + name + ".tmp-"; }

std::string temp_name(const std::string& dir, const std::string& name) {
  return dir + "/" + temp_prefix(name) + std::to_string(::getpid()) + "-" + random_suffix();
}

}  // namespace

std::optional<FileStamp> stamp_of_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return stamp_of(st);
}

std::optional<FileStamp> stamp_of_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return stamp_of(st);
}

std::string os_reason(int err) {
  switch (err) {
    case ENOENT: return "no such file or directory";
    case EACCES: return "permission denied";
    case EPERM: return "operation not permitted";
    case ENOSPC: return "no space left on the device";
    case EDQUOT: return "the disk quota is used up";
    case EPIPE: return "the reading end of the pipe was closed (broken pipe)";
    case EROFS: return "the file system is read-only";
    case EISDIR: return "it is a directory";
    case ENOTDIR: return "a part of the path is not a directory";
    case ELOOP: return "too many levels of symbolic links";
    case ENAMETOOLONG: return "the name is too long";
    case EFBIG: return "the file would be too large";
    case EIO: return "input/output error";
    case EMFILE:
    case ENFILE: return "too many open files";
    case ETXTBSY: return "the file is busy";
    default: break;
  }
  std::string s = std::strerror(err);
  if (!s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
      !(s.size() > 1 && std::isupper(static_cast<unsigned char>(s[1]))))
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

void detail::fail_atomic_write_at(AtomicWriteStep step) { g_fail.store(step); }

void detail::set_before_replace_hook(std::function<void()> hook) {
  std::lock_guard lock(g_hook_mu);
  g_hook = std::move(hook);
}

void detail::use_unnamed_temp_files(bool use) { g_unnamed.store(use); }

std::string detail::refusal_to_replace(const struct stat& st, uid_t euid, bool may_write) {
  if (!may_write)
    return "you may not write it (permission denied: it belongs to uid " + std::to_string(st.st_uid) +
           " and its mode is " + octal_mode(st.st_mode) + ")";
  if ((st.st_mode & 0222) == 0)
    return "it is read-only (mode " + octal_mode(st.st_mode) + "); make it writable (`chmod u+w`) if it should be replaced";
  if (euid != 0 && st.st_uid != euid)
    return "it belongs to another user (uid " + std::to_string(st.st_uid) +
           ") and replacing it would make it yours; only its owner or root may replace it";
  if (st.st_nlink > 1)
    return "it has " + std::to_string(st.st_nlink) +
           " hard links, which replacing it would split (the other names would keep the old content); "
           "make it a file of its own first (`cp FILE FILE.new && mv FILE.new FILE`)";
  return {};
}

int detail::remove_stale_temp_files(const std::string& dir, const std::string& name) {
  const std::string prefix = temp_prefix(name);
  int removed = 0;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view entry(e->d_name);
    if (entry.substr(0, prefix.size()) != prefix) continue;
    // PID: digits up to a `-`, then the random part.
    std::string_view rest = entry.substr(prefix.size());
    std::size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (digits == 0 || digits > 9 || digits >= rest.size() || rest[digits] != '-') continue;
    long pid = std::stol(std::string(rest.substr(0, digits)));
    if (pid <= 0) continue;  // kill(0) would name our own process group
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlinkat(::dirfd(d), e->d_name, 0) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
}

bool AtomicFile::fail(const std::string& what, int err, std::string& error) {
  discard();
  error = what + ": " + os_reason(err) + (existing_ ? " (the file is unchanged)" : "");
  return false;
}

bool AtomicFile::open(const std::string& path, const WriteOptions& options, std::string& error) {
  discard();
  path_ = path;
  options_ = options;
  existing_.reset();
  target_ = follow_links(path);
  dir_ = dir_of(target_);

  struct stat st {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error = "it is a directory; give a file to write";
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      error = "it is not a regular file (a device, pipe or socket); leave the option out and redirect standard "
              "output to it instead";
      return false;
    }
    FileStamp now = stamp_of(st);
    for (const auto& [shown, stamp] : options_.inputs)
      if (stamp.same_file(now)) {
        error = "it is the input `" + shown + "` (the same file); write the output to another file";
        return false;
      }
    if (options_.unchanged_since && !(now == *options_.unchanged_since)) {
      error = "the file changed after it was read; it is left as it is";
      return false;
    }
    std::string refusal =
        detail::refusal_to_replace(st, ::geteuid(), ::faccessat(AT_FDCWD, target_.c_str(), W_OK, AT_EACCESS) == 0);
    if (!refusal.empty()) {
      error = refusal;
      return false;
    }
    existing_ = now;
  } else if (errno != ENOENT) {
    error = os_reason(errno);
    return false;
  } else if (options_.unchanged_since) {
    error = "the file was removed after it was read";
    return false;
  }

  const std::string name = name_of(target_);
  detail::remove_stale_temp_files(dir_, name);

  // A new file gets 0666 less the umask (applied by open); an existing one
  // its own mode, set below once the file is ours.
  const mode_t mode = existing_ ? 0600 : 0666;
  fd_ = -1;
#ifdef O_TMPFILE
  if (g_unnamed.load()) {
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (fd_ >= 0) {
      // linkat() through /proc gives it a name at the end; without /proc, use a named file.
      struct stat proc {};
      std::string self = "/proc/self/fd/" + std::to_string(fd_);
      if (::lstat(self.c_str(), &proc) != 0) {
        ::close(fd_);
        fd_ = -1;
      }
    }
  }
#endif
  if (fd_ < 0) {
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
      tmp_ = temp_name(dir_, name);
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) {
      int err = errno;
      tmp_.clear();
      error = "cannot create a temporary file in `" + dir_ + "`: " + os_reason(err);
      return false;
    }
  }

  if (existing_) {
    struct stat mine {};
    if (::fstat(fd_, &mine) != 0) return fail("cannot inspect the temporary file", errno, error);
    if ((mine.st_uid != st.st_uid || mine.st_gid != st.st_gid) && ::fchown(fd_, st.st_uid, st.st_gid) != 0) {
      int err = errno;
      discard();
      error = "cannot keep its owner and group (uid " + std::to_string(st.st_uid) + ", gid " +
              std::to_string(st.st_gid) + "): " + os_reason(err);
      return false;
    }
    // After fchown, which clears the set-user-ID and set-group-ID bits.
    if (::fchmod(fd_, st.st_mode & 07777) != 0) return fail("cannot set the permissions", errno, error);
  }
  return true;
}

bool AtomicFile::write(std::string_view content, std::string& error) {
  if (fd_ < 0) {
    error = "the file is not open";
    return false;
  }
  if (injected(detail::AtomicWriteStep::Write)) return fail("writing failed", errno, error);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("writing failed", errno, error);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

bool AtomicFile::commit(std::string& error) {
  if (fd_ < 0) {
    error = "the file is not open";
    return false;
  }
  if (injected(detail::AtomicWriteStep::Sync) || ::fsync(fd_) != 0) return fail("flushing to disk failed", errno, error);
  {
    std::lock_guard lock(g_hook_mu);
    if (g_hook) g_hook();
  }
  // Look again, as late as possible: the target may have changed meanwhile.
  struct stat st {};
  if (::stat(target_.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      discard();
      error = "it is no longer a regular file; nothing was written";
      return false;
    }
    if (options_.unchanged_since && !(stamp_of(st) == *options_.unchanged_since)) {
      discard();
      error = "the file changed while it was being rewritten (another program wrote it); it is left as that "
              "program made it";
      return false;
    }
  } else if (options_.unchanged_since) {
    discard();
    error = "the file was removed while it was being rewritten";
    return false;
  }

  if (tmp_.empty()) {
    // An unnamed (O_TMPFILE) file: give it a name beside the target.
    const std::string self = "/proc/self/fd/" + std::to_string(fd_);
    const std::string name = name_of(target_);
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string candidate = temp_name(dir_, name);
      if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        tmp_ = candidate;
        break;
      }
      if (errno != EEXIST) return fail("naming the temporary file failed", errno, error);
    }
    if (tmp_.empty()) return fail("naming the temporary file failed", EEXIST, error);
  }
  int closing = fd_;
  fd_ = -1;
  if (injected(detail::AtomicWriteStep::Close)) {
    int err = errno;
    ::close(closing);
    return fail("closing failed", err, error);
  }
  if (::close(closing) != 0) return fail("closing failed", errno, error);
  if (injected(detail::AtomicWriteStep::Rename) || ::rename(tmp_.c_str(), target_.c_str()) != 0)
    return fail("replacing the file failed", errno, error);
  tmp_.clear();

  // Make the rename itself durable; the new content is in place either way.
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  error.clear();
  return true;
}

bool write_file_atomically(const std::string& path, std::string_view content, std::string& error,
                           const WriteOptions& options) {
  AtomicFile f;
  return f.open(path, options, error) && f.write(content, error) && f.commit(error);
}

}  // namespace advise
