// Reading and writing rule files for `advise fmt`.
//
// write_file_atomically() never leaves a file half written: the new content
// goes to a temporary file in the same directory, is flushed to disk, and is
// renamed over the target in one step. On any failure the original file is
// untouched and the temporary file removed. The target keeps its permission
// bits (and, where allowed, its owner); a symbolic link is followed, so the
// file it points to is replaced and the link stays a link. A new file gets
// the usual 0666 less the umask.
#pragma once

#include <string>
#include <string_view>

namespace advise {

// Replaces the content of `path` with `content`. On failure returns false and
// sets `error` to a message for the user (lowercase, no trailing period).
bool write_file_atomically(const std::string& path, std::string_view content, std::string& error);

// Reads the whole file. Refuses directories and other non-regular files with
// a clear message instead of reading nothing.
bool read_file(const std::string& path, std::string& out, std::string& error);

namespace detail {
// For tests only: make the next writes fail at one step, after the temporary
// file exists, to check that the original survives and nothing is left over.
enum class AtomicWriteStep { None, Write, Sync, Close, Rename };
void fail_atomic_write_at(AtomicWriteStep step);
}  // namespace detail

}  // namespace advise
