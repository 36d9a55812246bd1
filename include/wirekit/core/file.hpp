// Files that appear complete or not at all.
#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

namespace wirekit {

// Writes `data` to PATH.part (created with `mode`, less the umask), flushes it to disk and
// renames it to `path`: a reader finds the old file or the whole new one, never a part of it.
// On failure the .part file is removed and Error names it with the OS's reason:
// "cannot write report.html.part: No space left on device".
void write_file_atomically(const std::filesystem::path& path, std::string_view data,
                           mode_t mode = 0666);

}  // namespace wirekit
