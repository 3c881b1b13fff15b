// Writing the files the commands produce: `fmt` rewriting rule files, `run
// -o`, `batch -o`, `test --junit` and `test --update`. Every one goes through
// AtomicFile, so that every output gets the same checks and the same
// guarantees (docs/cli.md, "Output files"):
//
//   - The new content goes to a temporary file in the target's directory and
//     replaces the target in one rename once it is complete and flushed to
//     disk: a full disk, a crash or a kill never leaves a half-written file.
//     The temporary file is made with O_TMPFILE where the file system allows
//     it (it has no name until the rename, so it cannot outlive the process);
//     elsewhere it is `.NAME.tmp-PID-XXXXXXXX`, and such files left by a
//     process that is no longer alive are removed on the next write.
//   - A symbolic link is followed: the file it points to is replaced and the
//     link stays a link.
//   - Refused, with nothing written: a directory, anything that is not a
//     regular file (a device, pipe or socket), one of the command's inputs
//     (the same device and inode, whatever the name or link leads to it), a
//     file the user may not write or that has no write permission at all, a
//     file with several hard links (replacing it would split them), and a file
//     whose owner cannot be kept.
//   - The replaced file keeps its permission bits, owner and group.
//   - With `unchanged_since` (fmt), a file that changed after it was read is
//     left as it now is: the check is made again just before the rename.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace advise {

// Which file a path leads to (device and inode) and whether it changed (size,
// modification time to the nanosecond).
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  bool same_file(const FileStamp& o) const { return dev == o.dev && ino == o.ino; }
  bool operator==(const FileStamp&) const = default;
};

// The stamp of an open file, or of what a path leads to (following links).
std::optional<FileStamp> stamp_of_fd(int fd);
std::optional<FileStamp> stamp_of_path(const std::string& path);

// An errno value in words for a message: lowercase, e.g. "permission denied",
// "no space left on the device".
std::string os_reason(int err);

struct WriteOptions {
  // The command's inputs, as shown to the user and as read: the output may
  // not be any of them.
  std::vector<std::pair<std::string, FileStamp>> inputs;
  // The target as it was read: refuse when it is no longer so (fmt).
  std::optional<FileStamp> unchanged_since;
};

// One output file being written. open() checks the target and creates the
// temporary file; write() appends; commit() puts it in place. Until commit()
// succeeds the target is untouched; destroying an uncommitted AtomicFile
// removes the temporary file. Errors are messages for the user saying what
// went wrong (lowercase, no trailing period, without the target's name: the
// caller prints it).
class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  bool open(const std::string& path, const WriteOptions& options, std::string& error);
  bool write(std::string_view content, std::string& error);
  bool commit(std::string& error);

 private:
  bool fail(const std::string& what, int err, std::string& error);
  void discard();

  std::string path_;     // as given
  std::string target_;   // after following symbolic links
  std::string dir_;      // the target's directory
  std::string tmp_;      // the temporary file's name, once it has one
  WriteOptions options_;
  std::optional<FileStamp> existing_;  // the target when open() looked
  int fd_ = -1;
};

// Replaces the content of `path` with `content` through an AtomicFile.
bool write_file_atomically(const std::string& path, std::string_view content, std::string& error,
                           const WriteOptions& options = {});

namespace detail {
// For tests only: make the next writes fail at one step, after the temporary
// file exists, to check that the original survives and nothing is left over.
enum class AtomicWriteStep { None, Write, Sync, Close, Rename };
void fail_atomic_write_at(AtomicWriteStep step);

// For tests only: called once the temporary file is complete, just before the
// target is checked again and replaced (to change the target at that moment).
void set_before_replace_hook(std::function<void()> hook);

// For tests only: whether to try O_TMPFILE (on by default), so that the named
// temporary files are tested on any file system.
void use_unnamed_temp_files(bool use);

// Why the file `st` may not be replaced by a user with effective uid `euid`
// for whom access(W_OK) answered `may_write`; empty when it may.
std::string refusal_to_replace(const struct stat& st, uid_t euid, bool may_write);

// Removes `.NAME.tmp-PID-*` files in `dir` whose PID is not a live process;
// returns how many were removed.
int remove_stale_temp_files(const std::string& dir, const std::string& name);
}  // namespace detail

}  // namespace advise
