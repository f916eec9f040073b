#include "datasets/internal/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <utility>

#include "base/file_util.h"

namespace sluice::datasets::internal {
namespace {

namespace fs = std::filesystem;

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

std::string_view LastPart(std::string_view rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

// The files found so far. It grows without moving what it holds (the count is unknown until the
// walk ends, and a vector of 100,000 files was copied over and over) in blocks large enough that
// allocating them costs nothing.
class FileList {
 public:
  static constexpr size_t kBlock = 4096;
  SourceFile& operator[](size_t i) { return blocks_[i / kBlock][i % kBlock]; }
  size_t size() const { return size_; }
  void push_back(SourceFile file) {
    if (size_ % kBlock == 0) {
      blocks_.emplace_back();
      blocks_.back().reserve(kBlock);
    }
    blocks_.back().push_back(std::move(file));
    ++size_;
  }

 private:
  std::vector<std::vector<SourceFile>> blocks_;
  size_t size_ = 0;
};

// Files are stat'ed in runs of this many, each within one block of the FileList.
constexpr size_t kStatRun = 1024;
static_assert(FileList::kBlock % kStatRun == 0);

class Walker {
 public:
  explicit Walker(std::string shown) : shown_(std::move(shown)) {}

  // Called with [begin, end) each time kStatRun more files are listed, from the walking thread.
  std::function<void(size_t, size_t)> on_run;

  Status Walk(const std::string& dir, const std::string& rel,
              std::vector<std::pair<uint64_t, uint64_t>>& ancestors) {
    const std::string where = rel.empty() ? shown_ : shown_ + "/" + rel;
    DIR* handle = ::opendir(dir.c_str());
    if (handle == nullptr) {
      const int error = errno;
      if (error == EACCES || error == EPERM) {
        return PermissionDenied("cannot read folder '{}': {}", where, std::strerror(error));
      }
      return ErrnoError(error, "cannot read folder", where);
    }
    const uint32_t dir_index = static_cast<uint32_t>(dirs_.size());
    dirs_.push_back(dir);
    std::vector<std::pair<std::string, unsigned char>> others;
    errno = 0;
    Status status;
    while (const dirent* d = ::readdir(handle)) {
      std::string_view name = d->d_name;
      if (name == "." || name == ".." || name == ".sluice") continue;
      if (!IsValidUtf8(name)) {
        status = InvalidArgument("'{}/{}': file names must be UTF-8 to be stored in a manifest",
                                 where, fs::path(std::string(name)).string());
        break;
      }
      if (d->d_type == DT_REG) {
        AddFile(
            {rel.empty() ? std::string(name) : rel + "/" + std::string(name), dir_index, {}, {}});
      } else {
        others.emplace_back(std::string(name), d->d_type);
      }
    }
    const int read_error = errno;
    ::closedir(handle);
    SLUICE_RETURN_IF_ERROR(status);
    if (read_error != 0) return ErrnoError(read_error, "cannot read folder", where);

    for (auto& [name, type] : others) {
      const std::string child_rel = rel.empty() ? name : rel + "/" + name;
      if (type != DT_DIR && type != DT_LNK && type != DT_UNKNOWN) {
        notes_.push_back(fmt::format("skipped '{}/{}': not a regular file", shown_, child_rel));
        continue;
      }
      const std::string child = dir + "/" + name;
      struct stat st;
      if (::stat(child.c_str(), &st) != 0) {
        const int error = errno;
        if (error == ELOOP) {
          return InvalidArgument("'{}/{}' is a symlink loop", shown_, child_rel);
        }
        if (error == ENOENT) {
          return NotFound("'{}/{}' is a symlink to a missing file", shown_, child_rel);
        }
        return ErrnoError(error, "cannot stat", shown_ + "/" + child_rel);
      }
      if (S_ISREG(st.st_mode)) {
        AddFile({child_rel, dir_index, {}, {}});
      } else if (S_ISDIR(st.st_mode)) {
        const std::pair<uint64_t, uint64_t> id{st.st_dev, st.st_ino};
        if (std::find(ancestors.begin(), ancestors.end(), id) != ancestors.end()) {
          return InvalidArgument("'{}/{}' is a symlink loop: it leads back to a folder above it",
                                 shown_, child_rel);
        }
        ancestors.push_back(id);
        SLUICE_RETURN_IF_ERROR(Walk(child, child_rel, ancestors));
        ancestors.pop_back();
      } else {
        notes_.push_back(fmt::format("skipped '{}/{}': not a regular file", shown_, child_rel));
      }
    }
    return Status::Ok();
  }

  void AddFile(SourceFile file) {
    files_.push_back(std::move(file));
    if (on_run && files_.size() % kStatRun == 0) on_run(files_.size() - kStatRun, files_.size());
  }

  std::vector<std::string> dirs_;
  FileList files_;  // in walk order: grouped by folder
  std::vector<std::string> notes_;

 private:
  std::string shown_;
};

}  // namespace

FileStat FileStatOf(const struct stat& st) {
  FileStat f;
  f.device = st.st_dev;
  f.inode = st.st_ino;
  f.size_bytes = static_cast<uint64_t>(st.st_size);
  f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  f.mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
  return f;
}

Result<Sources> SingleFile(const fs::path& file, const std::string& shown) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return ErrnoError(errno, "cannot stat", shown);
  Sources out;
  out.shown = shown;
  out.single_file = true;
  out.dirs.push_back(file.parent_path().string());
  out.files.push_back({file.filename().string(), 0, {}, FileStatOf(st)});
  return out;
}

Result<Sources> WalkFolder(const fs::path& root, const std::string& shown, ThreadPool* pool) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ELOOP) return InvalidArgument("'{}' is a symlink loop", shown);
    return ErrnoError(error, "cannot stat", shown);
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument("'{}' is not a folder", shown);
  Walker walker(shown);
  std::vector<std::pair<uint64_t, uint64_t>> ancestors = {{st.st_dev, st.st_ino}};
  FileList& files = walker.files_;

  // Files are stat'ed relative to their folder's descriptor (one path component to resolve
  // instead of the whole path), in runs of files of one block of the list, whose places never
  // move, each as soon as it is listed: the walk itself (reading folders) is one thread's work.
  using RunFolders = std::vector<std::pair<uint32_t, std::string>>;  // index -> path, for a run
  std::mutex mutex;
  Status first_error;
  auto stat_run = [&](SourceFile* run, size_t count, const RunFolders& folders) {
    int dir_fd = -1;
    const std::string* dir = nullptr;
    uint32_t open_dir = UINT32_MAX;
    for (size_t i = 0; i < count; ++i) {
      SourceFile& f = run[i];
      if (f.dir != open_dir) {
        if (dir_fd >= 0) ::close(dir_fd);
        dir = &std::find_if(folders.begin(), folders.end(), [&](const auto& d) {
                 return d.first == f.dir;
               })->second;
        dir_fd = ::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        open_dir = f.dir;
      }
      struct stat fst;
      const char* name = f.rel.c_str() + (f.rel.size() - LastPart(f.rel).size());
      const int rc = dir_fd >= 0 ? ::fstatat(dir_fd, name, &fst, 0)
                                 : ::stat((*dir + "/" + name).c_str(), &fst);
      if (rc != 0) {
        const int error = errno;
        std::lock_guard lock(mutex);
        if (first_error.ok()) first_error = ErrnoError(error, "cannot stat", shown + "/" + f.rel);
        continue;
      }
      f.stat = FileStatOf(fst);
    }
    if (dir_fd >= 0) ::close(dir_fd);
  };
  auto folders_of = [&](size_t begin, size_t end) {
    RunFolders folders;
    for (size_t i = begin; i < end; ++i) {
      const uint32_t d = files[i].dir;
      if (folders.empty() || folders.back().first != d) folders.emplace_back(d, walker.dirs_[d]);
    }
    return folders;
  };
  // Runs wait in a queue that the pool's workers drain while the walk goes on, and this thread
  // too once it is done.
  struct Run {
    SourceFile* first;
    size_t count;
    RunFolders folders;
  };
  std::mutex queue_mutex;
  std::deque<Run> queue;  // guarded by queue_mutex
  size_t draining = 0;    // workers draining; guarded by queue_mutex
  auto drain = [&] {
    for (;;) {
      std::optional<Run> run;
      {
        std::lock_guard lock(queue_mutex);
        if (queue.empty()) return;
        run = std::move(queue.front());
        queue.pop_front();
      }
      stat_run(run->first, run->count, run->folders);
    }
  };
  // Waits for the workers however this function returns: they use what is above.
  struct Workers {
    std::vector<std::future<void>> running;
    ~Workers() {
      for (std::future<void>& f : running) {
        if (f.valid()) f.wait();
      }
    }
  } workers;
  auto enqueue = [&](size_t begin, size_t end) {
    std::lock_guard lock(queue_mutex);
    queue.push_back({&files[begin], end - begin, folders_of(begin, end)});
    if (pool != nullptr && draining < pool->size()) {
      ++draining;
      workers.running.push_back(pool->Submit([&] {
        drain();
        std::lock_guard done(queue_mutex);
        --draining;
      }));
    }
  };
  walker.on_run = enqueue;
  SLUICE_RETURN_IF_ERROR(walker.Walk(root.string(), "", ancestors));
  const size_t whole_runs = files.size() - files.size() % kStatRun;
  if (whole_runs < files.size()) enqueue(whole_runs, files.size());
  drain();
  for (std::future<void>& f : workers.running) f.get();
  SLUICE_RETURN_IF_ERROR(first_error);

  Sources out;
  out.shown = shown;
  out.dirs = std::move(walker.dirs_);
  out.notes = std::move(walker.notes_);
  // Sorted through (path, index) pairs, then moved once: sorting the records themselves moves
  // each one (two strings and the stat) about log2(n) times, which showed in profiles of
  // 100,000 files; the path beside the index keeps the comparisons in one array.
  std::vector<std::pair<std::string_view, uint32_t>> order;
  order.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    order.emplace_back(files[i].rel, static_cast<uint32_t>(i));
  }
  const auto by_path = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (pool != nullptr && order.size() >= 16384) {
    // Two halves at once, then one merge: the sort of 100,000 paths was 40 ms on one core.
    const auto middle = order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2);
    std::future<void> first_half =
        pool->Submit([&order, middle, by_path] { std::sort(order.begin(), middle, by_path); });
    std::sort(middle, order.end(), by_path);
    first_half.get();
    std::inplace_merge(order.begin(), middle, order.end(), by_path);
  } else {
    std::sort(order.begin(), order.end(), by_path);
  }
  out.files.reserve(files.size());
  for (const auto& [rel, i] : order) out.files.push_back(std::move(files[i]));
  return out;
}

}  // namespace sluice::datasets::internal
