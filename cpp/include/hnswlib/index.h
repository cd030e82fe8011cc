// hnswlib/index.h: the C++17 API of hnswlib-rs, the hnswlib-compatible HNSW port.
//
// RAII classes over the C ABI (libhnswlib, <hnswlib.h>): hnswlib::Space, hnswlib::Index
// (HNSW) and hnswlib::BruteForce (exact search). Vectors go in as std::vector or raw
// pointers, results come out as std::vector<Neighbor>, filters, distances and progress
// callbacks are std::function. Every failure of the library is thrown as an exception
// derived from hnswlib::Error (itself a std::runtime_error) carrying the library's
// message. An Index may traverse 8-bit or 4-bit codes of its vectors and re-rank its
// best candidates exactly (IndexParams::quantization, LoadOptions::quantization,
// Index::set_rerank, SearchOptions::rerank). Besides k-NN both indexes offer range
// (epsilon) search, range_search, and multi-vector (document) search, search_docs,
// whose document of each label comes from a DocOf function. An Index saves in hnswlib's
// file format or the native one (SaveOptions::format), opens a native file with no space
// (Index::open) and views one read-only, memory-mapped (Index::open_view, Index::view).
//
// Thread safety: every method may be called on the same index from many threads at once
// (adds, updates, deletes and searches run concurrently; resize waits for the others),
// except assignment, move and destruction.
//
// Callbacks (filters, distances, progress) run on the library's worker threads, possibly
// several at once, and must be thread-safe. An exception thrown by a callback never
// crosses into the library: it is caught, the call is wound down (a filter rejects, a
// distance counts as +infinity, progress cancels) and the exception is rethrown to the
// caller when the call returns. A distance callback runs inside every add and search, so
// its exception is rethrown by whichever call on an index of that space returns next.
//
// hnswlib's own API (HierarchicalNSW, BruteforceSearch, L2Space, ...) is in
// "hnswlib/hnswlib.h", which includes this header.

#ifndef HNSWLIB_CPP_INDEX_H
#define HNSWLIB_CPP_INDEX_H

// The C API. Angle brackets: "hnswlib.h" next to this file is the C++ header.
#include <hnswlib.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace hnswlib {

// ---- errors ----------------------------------------------------------------------------

/// A failure reported by the library: the status code and its message.
class Error : public std::runtime_error {
 public:
    Error(hnsw_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    /// The C status code (HNSW_ERR_*).
    hnsw_status status() const noexcept { return status_; }
    /// The status code's name ("HNSW_ERR_IO", ...).
    const char* status_name() const noexcept { return hnsw_status_name(status_); }

 private:
    hnsw_status status_;
};

#define HNSWLIB_CPP_ERROR(Name, Code)                                                   \
    class Name : public Error {                                                         \
     public:                                                                            \
        explicit Name(const std::string& message) : Error(Code, message) {}            \
    };
/// Wrong dimension or element type, non-finite value, empty input, bad parameter.
HNSWLIB_CPP_ERROR(InvalidArgumentError, HNSW_ERR_INVALID_ARGUMENT)
/// The label is not in the index (or is deleted, for reads of its vector).
HNSWLIB_CPP_ERROR(LabelNotFoundError, HNSW_ERR_LABEL_NOT_FOUND)
/// The index is full: resize it, or allow replacing deleted elements.
HNSWLIB_CPP_ERROR(CapacityError, HNSW_ERR_CAPACITY)
/// Not allowed in the index's state (already deleted, not deleted, replace disabled, ...).
HNSWLIB_CPP_ERROR(StateError, HNSW_ERR_STATE)
/// A file could not be read or written.
HNSWLIB_CPP_ERROR(IoError, HNSW_ERR_IO)
/// Corrupted, truncated or incompatible index bytes (including a wrong dimension).
HNSWLIB_CPP_ERROR(FormatError, HNSW_ERR_FORMAT)
/// A progress callback returned false; the rows added before that stay in the index.
HNSWLIB_CPP_ERROR(CancelledError, HNSW_ERR_CANCELLED)
/// Not enough memory for the request.
HNSWLIB_CPP_ERROR(OutOfMemoryError, HNSW_ERR_OUT_OF_MEMORY)
/// A required handle or pointer was null (e.g. an index that was moved from).
HNSWLIB_CPP_ERROR(NullPointerError, HNSW_ERR_NULL_POINTER)
/// A buffer was smaller than the result.
HNSWLIB_CPP_ERROR(BufferTooSmallError, HNSW_ERR_BUFFER_TOO_SMALL)
/// A bug in the library; the message says where.
HNSWLIB_CPP_ERROR(InternalError, HNSW_ERR_INTERNAL)
#undef HNSWLIB_CPP_ERROR

namespace detail {

/// Throws the exception of `status` with `message`.
[[noreturn]] inline void throw_error(hnsw_status status, const std::string& message) {
    switch (status) {
        case HNSW_ERR_INVALID_ARGUMENT: throw InvalidArgumentError(message);
        case HNSW_ERR_LABEL_NOT_FOUND: throw LabelNotFoundError(message);
        case HNSW_ERR_CAPACITY: throw CapacityError(message);
        case HNSW_ERR_STATE: throw StateError(message);
        case HNSW_ERR_IO: throw IoError(message);
        case HNSW_ERR_FORMAT: throw FormatError(message);
        case HNSW_ERR_CANCELLED: throw CancelledError(message);
        case HNSW_ERR_OUT_OF_MEMORY: throw OutOfMemoryError(message);
        case HNSW_ERR_NULL_POINTER: throw NullPointerError(message);
        case HNSW_ERR_BUFFER_TOO_SMALL: throw BufferTooSmallError(message);
        case HNSW_ERR_INTERNAL: throw InternalError(message);
        default: throw Error(status, message);
    }
}

/// Throws the exception of a failed C call, with the thread's last error message.
[[noreturn]] inline void throw_status(hnsw_status status) {
    const char* message = hnsw_last_error();
    throw_error(status, message != nullptr ? message : "");
}

/// Throws when `status` is not HNSW_OK.
inline void check(hnsw_status status) {
    if (status != HNSW_OK) throw_status(status);
}

/// The first exception thrown by a callback during a call, possibly on a worker thread,
/// kept until the calling thread rethrows it.
class ExceptionSlot {
 public:
    /// Keeps the exception being handled (call inside a catch block), unless one is kept.
    void capture() noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) {
            error_ = std::current_exception();
            pending_.store(true, std::memory_order_release);
        }
    }
    bool pending() const noexcept { return pending_.load(std::memory_order_acquire); }
    /// Rethrows and forgets the kept exception, if any.
    void rethrow_if_pending() {
        if (!pending()) return;
        std::exception_ptr error;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            error.swap(error_);
            pending_.store(false, std::memory_order_release);
        }
        if (error) std::rethrow_exception(error);
    }

 private:
    std::atomic<bool> pending_{false};
    std::mutex mutex_;
    std::exception_ptr error_;
};

/// A search filter around any callable `bool(uint64_t)`; see filter_trampoline.
template <class F>
struct FilterCall {
    F* filter;
    ExceptionSlot error;
};

/// The C filter callback: calls the C++ filter, never lets an exception out.
template <class F>
bool filter_trampoline(uint64_t label, void* user_data) noexcept {
    auto* call = static_cast<FilterCall<F>*>(user_data);
    if (call->error.pending()) return false;
    try {
        return static_cast<bool>((*call->filter)(label));
    } catch (...) {
        call->error.capture();
        return false;
    }
}

/// The state of a space with a std::function distance, shared by the space and every
/// index made with it (the library calls it for as long as any of them exists).
struct DistanceState {
    std::function<float(const void*, const void*)> distance;
    ExceptionSlot error;
};

inline float distance_trampoline(const void* a, const void* b, const void* user_data) noexcept {
    auto* state = static_cast<DistanceState*>(const_cast<void*>(user_data));
    try {
        return state->distance(a, b);
    } catch (...) {
        state->error.capture();
        return std::numeric_limits<float>::infinity();
    }
}

/// A batch add's progress callback and the exception it may throw.
struct ProgressCall {
    const std::function<bool(size_t, size_t)>* progress;
    ExceptionSlot error;
};

inline bool progress_trampoline(size_t done, size_t total, void* user_data) noexcept {
    auto* call = static_cast<ProgressCall*>(user_data);
    if (call->error.pending()) return false;
    try {
        return (*call->progress)(done, total);
    } catch (...) {
        call->error.capture();
        return false;
    }
}

template <class T>
const char* type_name() {
    if (std::is_same<T, float>::value) return "float";
    if (std::is_same<T, uint8_t>::value) return "uint8_t";
    if (std::is_same<T, double>::value) return "double";
    if (std::is_same<T, int>::value) return "int";
    return "this element type";
}

}  // namespace detail

// ---- spaces ----------------------------------------------------------------------------

/// What the vectors of a space are.
enum class SpaceKind {
    L2,            ///< squared Euclidean on floats (hnswlib's L2Space)
    InnerProduct,  ///< 1 - dot on floats (hnswlib's InnerProductSpace)
    Cosine,        ///< 1 - cos on floats, stored normalised (hnswlib's Python 'cosine')
    L2U8,          ///< squared Euclidean on bytes, exact (hnswlib's L2SpaceI)
    Custom,        ///< opaque elements of a fixed size with a caller's distance
};

/// A space: element type and size plus distance. Copies share the same C space.
class Space {
 public:
    /// No space: element size 0, no handle. Indexes holding no index hold this.
    Space() = default;
    /// Squared Euclidean distance on `dim` floats.
    static Space l2(size_t dim) { return native(hnsw_space_l2, dim, SpaceKind::L2); }
    /// Inner product distance 1 - dot(a, b) on `dim` floats.
    static Space ip(size_t dim) { return native(hnsw_space_ip, dim, SpaceKind::InnerProduct); }
    /// Cosine distance on `dim` floats (vectors normalised when added and queried).
    static Space cosine(size_t dim) { return native(hnsw_space_cosine, dim, SpaceKind::Cosine); }
    /// Squared Euclidean distance on `dim` bytes (uint8_t), exact.
    static Space l2_u8(size_t dim) { return native(hnsw_space_l2_u8, dim, SpaceKind::L2U8); }
    /// A space by name: "l2", "ip", "cosine" or "l2u8".
    static Space by_name(const std::string& name, size_t dim) {
        if (name == "l2") return l2(dim);
        if (name == "ip") return ip(dim);
        if (name == "cosine") return cosine(dim);
        if (name == "l2u8") return l2_u8(dim);
        throw InvalidArgumentError("unknown space '" + name +
                                   "': expected 'l2', 'ip', 'cosine' or 'l2u8'");
    }
    /// Elements of `element_size` bytes compared by `distance(a, b)` (smaller is closer).
    /// It is called from many threads at once; an exception it throws is rethrown by
    /// the index call during which it happened (that distance counts as +infinity).
    static Space custom(size_t element_size, std::function<float(const void*, const void*)> distance) {
        if (!distance) throw InvalidArgumentError("custom space: the distance function is empty");
        auto state = std::make_shared<DistanceStateHolder>();
        state->distance = std::move(distance);
        Space s = make(
            [&](hnsw_space** out) {
                return hnsw_space_custom(element_size, &detail::distance_trampoline, state.get(), out);
            },
            SpaceKind::Custom);
        s.state_ = std::move(state);
        return s;
    }
    /// Elements of `element_size` bytes compared by a C function (hnswlib's DISTFUNC and
    /// its parameter). `distance` must be thread-safe and must not throw; `user_data`
    /// must outlive every index made with this space.
    static Space custom(size_t element_size, hnsw_distance_fn distance, const void* user_data) {
        return make(
            [&](hnsw_space** out) { return hnsw_space_custom(element_size, distance, user_data, out); },
            SpaceKind::Custom);
    }

    /// This custom space under `name` (1 to 64 bytes of UTF-8), sharing its distance: a
    /// native file saved with it keeps the name, and loading or viewing that file with a
    /// space of another name throws InvalidArgumentError instead of giving wrong results
    /// (an unnamed custom space takes the file's name). Built-in spaces, and an empty or
    /// too long name, throw InvalidArgumentError.
    Space named(const std::string& name) const {
        if (name.find('\0') != std::string::npos) {
            throw InvalidArgumentError("a space name cannot hold a NUL byte");
        }
        Space s = make([&](hnsw_space** out) { return hnsw_space_named(handle_.get(), name.c_str(), out); },
                       kind_);
        s.state_ = state_;
        return s;
    }
    /// The custom space's name (see named()), or "" when it has none.
    std::string custom_name() const {
        const char* name = nullptr;
        detail::check(hnsw_space_custom_name(handle_.get(), &name));
        return name ? name : "";
    }

    SpaceKind kind() const noexcept { return kind_; }
    /// Floats or bytes per vector; the element size for custom spaces.
    size_t dim() const noexcept { return dim_; }
    /// Bytes per vector.
    size_t element_size() const noexcept { return element_size_; }
    /// The distance of two vectors as an index computes it (cosine: pass normalised
    /// vectors). Each points to one vector of this space.
    float distance(const void* a, const void* b) const {
        float d = 0;
        hnsw_status st = hnsw_space_distance(handle_.get(), a, b, &d);
        rethrow_callback_error();
        detail::check(st);
        return d;
    }
    template <class T>
    float distance(const std::vector<T>& a, const std::vector<T>& b) const {
        check_vectors<T>(a.size(), 1, "a");
        check_vectors<T>(b.size(), 1, "b");
        return distance(static_cast<const void*>(a.data()), static_cast<const void*>(b.data()));
    }

    /// The C handle (owned by this object and its copies).
    const hnsw_space* handle() const noexcept { return handle_.get(); }

    /// Throws unless `n` values of type T are `rows` vectors of this space (`rows` 0:
    /// any whole number of vectors). Returns the number of vectors.
    template <class T>
    size_t check_vectors(size_t n, size_t rows, const char* what) const {
        static_assert(std::is_trivially_copyable<T>::value, "vectors must be trivially copyable");
        bool type_ok = kind_ == SpaceKind::Custom ||
                       (kind_ == SpaceKind::L2U8 ? std::is_same<T, uint8_t>::value
                                                 : std::is_same<T, float>::value);
        if (!type_ok) {
            throw InvalidArgumentError(std::string(what) + ": wrong element type: the space stores " +
                                       (kind_ == SpaceKind::L2U8 ? "uint8_t" : "float") + " vectors, got " +
                                       detail::type_name<T>());
        }
        size_t bytes = n * sizeof(T);
        size_t per = element_size_;
        if (per == 0 || bytes % per != 0 || (rows != 0 && bytes != rows * per) || (rows == 0 && bytes == 0)) {
            size_t dim = per / sizeof(T);
            std::string got = std::to_string(n) + " values";
            if (rows == 0) got += " (not a non-zero multiple of the dimension)";
            else if (rows > 1) got += " for " + std::to_string(rows) + " vectors";
            throw InvalidArgumentError(std::string(what) +
                                       ": wrong dimensionality of the vectors: the index has dim " +
                                       std::to_string(dim) + ", got " + got);
        }
        return bytes / per;
    }

    /// Rethrows an exception a std::function distance threw during the last calls.
    void rethrow_callback_error() const {
        if (state_) state_->error.rethrow_if_pending();
    }

 private:
    using DistanceStateHolder = detail::DistanceState;

    friend class Index;

    template <class Make>
    static Space make(Make&& create, SpaceKind kind) {
        hnsw_space* raw = nullptr;
        detail::check(create(&raw));
        return wrap(raw, kind);
    }
    /// Takes ownership of `raw`, a space of `kind`.
    static Space wrap(hnsw_space* raw, SpaceKind kind) {
        Space s;
        s.handle_.reset(raw, hnsw_space_free);
        s.kind_ = kind;
        detail::check(hnsw_space_dim(raw, &s.dim_));
        detail::check(hnsw_space_element_size(raw, &s.element_size_));
        return s;
    }
    /// Takes ownership of `raw`, whose kind the library names (the space of an index
    /// opened from a native file).
    static Space wrap(hnsw_space* raw) {
        Space s = wrap(raw, SpaceKind::Custom);
        const char* name = nullptr;
        detail::check(hnsw_space_name(raw, &name));
        const std::string n = name;
        s.kind_ = n == "l2"       ? SpaceKind::L2
                  : n == "ip"     ? SpaceKind::InnerProduct
                  : n == "cosine" ? SpaceKind::Cosine
                  : n == "l2u8"   ? SpaceKind::L2U8
                                  : SpaceKind::Custom;
        return s;
    }
    static Space native(hnsw_status (*create)(size_t, hnsw_space**), size_t dim, SpaceKind kind) {
        return make([&](hnsw_space** out) { return create(dim, out); }, kind);
    }

    std::shared_ptr<hnsw_space> handle_;
    std::shared_ptr<detail::DistanceState> state_;
    SpaceKind kind_ = SpaceKind::Custom;
    size_t dim_ = 0;
    size_t element_size_ = 0;
};

// ---- quantization ----------------------------------------------------------------------

/// What the searches of an Index traverse: the vectors themselves (None, hnswlib's
/// storage) or 8-bit (Sq8) or 4-bit (Sq4) per-dimension codes of them, whose best
/// rerank * k candidates are re-scored with exact distances (Index::set_rerank).
/// Quantized modes need an l2, ip or cosine space. Another value (cast from an integer)
/// is an InvalidArgumentError where an index is made or loaded.
enum class Quantization : hnsw_quantization {
    None = HNSW_QUANT_NONE,
    Sq8 = HNSW_QUANT_SQ8,
    Sq4 = HNSW_QUANT_SQ4,
};

/// The mode's name: "none", "sq8" or "sq4" ("unknown quantization" for another value).
inline std::string quantization_name(Quantization q) {
    return hnsw_quantization_name(static_cast<hnsw_quantization>(q));
}

/// The mode named "none" (or ""), "sq8" or "sq4"; InvalidArgumentError for another name.
inline Quantization quantization_by_name(const std::string& name) {
    hnsw_quantization q = HNSW_QUANT_NONE;
    detail::check(hnsw_quantization_by_name(name.c_str(), &q));
    return static_cast<Quantization>(q);
}

// ---- options and results ---------------------------------------------------------------

/// Construction parameters of an HNSW index (hnswlib's names and defaults).
struct IndexParams {
    IndexParams() = default;
    explicit IndexParams(size_t max_elements_, size_t M_ = 16, size_t ef_construction_ = 200,
                         uint64_t random_seed_ = 100, bool allow_replace_deleted_ = false)
        : max_elements(max_elements_), M(M_), ef_construction(ef_construction_), random_seed(random_seed_),
          allow_replace_deleted(allow_replace_deleted_) {}
    size_t max_elements = 0;           ///< capacity; grow it later with resize()
    size_t M = 16;                     ///< links per element on the upper levels, 2..10000
    size_t ef_construction = 200;      ///< candidate list size while building, >= M
    uint64_t random_seed = 100;        ///< seed of the level generator
    bool allow_replace_deleted = false;  ///< whether adds may reuse deleted elements' slots
    /// What searches traverse (Sq8 and Sq4 need an l2, ip or cosine space). The codes are
    /// learnt once the index holds 1000 elements; it searches the vectors until then.
    Quantization quantization = Quantization::None;
    /// With quantization: keep the exact vectors beside the codes (exact distances, and
    /// save() writes hnswlib's format). false keeps the codes only: much less memory,
    /// approximate distances, get_item() gives the decoded vectors, and save() and
    /// serialize() throw StateError once the codes are learnt.
    bool keep_vectors = true;
};

/// Settings of a batch add.
struct AddOptions {
    int num_threads = 0;          ///< threads; 0 or negative: all cores
    bool replace_deleted = false;  ///< put new labels into deleted elements' slots
    /// Called with (rows done, total rows), possibly from several threads; return false
    /// to cancel (CancelledError; the rows added so far stay in the index).
    std::function<bool(size_t, size_t)> progress;
};

/// A filter held as data (an allow-list of labels, a byte or bit mask indexed by
/// label), evaluated inside the library with no callback per candidate: use it instead
/// of a `std::function` filter for allow-lists and masks. Immutable; copies share one
/// library object; usable by many searches at once. An empty LabelFilter (the default)
/// accepts every label.
class LabelFilter {
 public:
    LabelFilter() = default;
    /// Accepts exactly these labels (any order; an empty list accepts nothing).
    static LabelFilter allow(const std::vector<uint64_t>& labels) {
        return make([&](hnsw_label_filter** out) { return hnsw_label_filter_allow(labels.data(), labels.size(), out); });
    }
    /// Accepts label `l` when `mask[l]` is not 0; labels at or past `len` are not accepted.
    static LabelFilter mask(const uint8_t* mask, size_t len) {
        return make([&](hnsw_label_filter** out) { return hnsw_label_filter_mask(mask, len, out); });
    }
    /// Accepts label `l` when `mask[l]` is true; labels past the end are not accepted.
    static LabelFilter mask(const std::vector<bool>& mask) {
        std::vector<uint64_t> words((mask.size() + 63) / 64);
        for (size_t l = 0; l < mask.size(); ++l)
            if (mask[l]) words[l / 64] |= uint64_t{1} << (l % 64);
        return bits(words);
    }
    /// Accepts label `l` when bit `l % 64` of `words[l / 64]` is set.
    static LabelFilter bits(const std::vector<uint64_t>& words) {
        return make([&](hnsw_label_filter** out) { return hnsw_label_filter_bits(words.data(), words.size(), out); });
    }
    /// Whether the filter accepts `label` (an empty LabelFilter accepts all).
    bool accepts(uint64_t label) const {
        if (!handle_) return true;
        bool accepted = false;
        detail::check(hnsw_label_filter_accepts(handle_.get(), label, &accepted));
        return accepted;
    }
    /// Whether this object holds a filter.
    explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
    /// The C handle (NULL when empty), owned by this object and its copies.
    const hnsw_label_filter* handle() const noexcept { return handle_.get(); }

 private:
    template <class Make>
    static LabelFilter make(Make m) {
        hnsw_label_filter* raw = nullptr;
        detail::check(m(&raw));
        LabelFilter f;
        f.handle_.reset(raw, hnsw_label_filter_free);
        return f;
    }
    std::shared_ptr<hnsw_label_filter> handle_;
};

/// Settings of a search.
struct SearchOptions {
    SearchOptions() = default;
    explicit SearchOptions(size_t ef_, int num_threads_ = 0, std::function<bool(uint64_t)> filter_ = {})
        : ef(ef_), num_threads(num_threads_), filter(std::move(filter_)) {}
    size_t ef = 0;         ///< candidate list size for this call; 0: the index's ef
    int num_threads = 0;   ///< threads of batch searches; 0 or negative: all cores
    /// Only labels it accepts are returned; empty accepts all. Must be thread-safe.
    std::function<bool(uint64_t)> filter;
    /// Re-ranking depth of a quantized index for this call (rerank * k candidates
    /// re-scored exactly; below 1: k); 0 uses the index's (Index::set_rerank). NaN or
    /// infinity is an InvalidArgumentError for every index; others ignore it.
    float rerank = 0;
    /// A filter held as data (allow-list or mask), evaluated without callbacks; with
    /// `filter` set too, a label must pass both. Empty accepts all.
    LabelFilter label_filter;
};

/// Settings of loading an index from a file or bytes.
struct LoadOptions {
    size_t max_elements = 0;             ///< new capacity if >= the element count; 0 keeps the file's
    bool allow_replace_deleted = false;  ///< whether adds may reuse deleted elements' slots
    uint64_t random_seed = 100;          ///< seed of the level generator for later adds
    /// Load into a quantized index: the file's vectors are read and coded (the file
    /// stays hnswlib's). See IndexParams::quantization.
    Quantization quantization = Quantization::None;
    bool keep_vectors = true;  ///< see IndexParams::keep_vectors
};

/// The format of a saved index.
enum class FileFormat : hnsw_file_format {
    /// hnswlib's saveIndex format, byte for byte: hnswlib loads it, but it does not name
    /// its space or dimension, and a codes-only quantized index cannot use it. The default.
    Hnswlib = HNSW_FORMAT_HNSWLIB,
    /// hnswlib-rs's own format (docs/native-format.md): names its space, dimension and
    /// settings (Index::open needs no space), checksums every section, holds any index
    /// (quantized codes included) and can be opened as a read-only view
    /// (Index::open_view). HNSW indexes only: BruteForce::save throws StateError.
    Native = HNSW_FORMAT_NATIVE,
};

/// Settings of saving to a file.
struct SaveOptions {
    /// true: the file is on disk when save() returns. false: save() returns once the
    /// bytes are in the page cache, as hnswlib's saveIndex does (a crash soon after may
    /// leave the previous file). Either way the file is replaced by a rename, whole.
    bool sync = true;
    /// Which format to write (hnswlib's by default).
    FileFormat format = FileFormat::Hnswlib;
};

/// Settings of Index::open_view and Index::view.
struct ViewOptions {
    /// Check what a load checks (the checksums of level 0 and the vectors, every link
    /// and vector), reading the whole file. false: opening reads the header, labels,
    /// levels and upper levels only (all checked), in milliseconds at any size;
    /// searches are memory-safe whatever level 0 holds, but a damaged level 0 gives
    /// wrong results, which check_integrity() finds.
    bool verify = false;
    /// Read the whole file into the page cache while opening, so that the first
    /// searches do not wait for the disk.
    bool populate = false;
};

/// One search result.
struct Neighbor {
    uint64_t label;
    float distance;
    bool operator==(const Neighbor& o) const { return label == o.label && distance == o.distance; }
    bool operator!=(const Neighbor& o) const { return !(*this == o); }
};

/// One vector of a document (multi-vector) search: its document, label and distance.
struct DocHit {
    uint64_t doc;
    uint64_t label;
    float distance;
    bool operator==(const DocHit& o) const { return doc == o.doc && label == o.label && distance == o.distance; }
    bool operator!=(const DocHit& o) const { return !(*this == o); }
};

/// The document of each label, for document searches: std::nullopt for an element
/// that belongs to no document (never returned). Called on the searching thread;
/// must be thread-safe. An exception it throws is rethrown by the search.
using DocOf = std::function<std::optional<uint64_t>(uint64_t)>;

/// A stop condition of one's own for Index::search_stop_condition: hnswlib's
/// BaseSearchStopCondition with float distances. The search's level-0 walk (the one
/// range and document searches take) asks it when to stop, which neighbours to queue
/// and when the results hold too many, and tells it which elements join and leave the
/// results; filter_results has the last word. Called on the searching thread, one
/// call at a time; an exception it throws ends the search and is rethrown by it.
/// Distances are the index's (squared for L2); a quantized index walks its codes, so
/// the walk's distances are the codes' and filter_results sees exact ones.
class SearchStopCondition {
 public:
    /// The element `label`, whose stored vector is `element` (valid during the call),
    /// joins the results at `dist`.
    virtual void add_point_to_result(uint64_t label, const void* element, float dist) = 0;
    /// The farthest result leaves; `dist` is its own distance (hnswlib passes the
    /// distance of the candidate just added).
    virtual void remove_point_from_result(uint64_t label, const void* element, float dist) = 0;
    /// Whether the search ends: the closest unexpanded candidate is at `candidate_dist`,
    /// the farthest result at `lower_bound` (FLT_MAX while there is none).
    virtual bool should_stop_search(float candidate_dist, float lower_bound) = 0;
    /// Whether a neighbour at `candidate_dist` is queued (and offered as a result).
    virtual bool should_consider_candidate(float candidate_dist, float lower_bound) = 0;
    /// Whether the results hold too many: the farthest goes while this is true.
    virtual bool should_remove_extra() = 0;
    /// The results, closest first: keep, drop, reorder as you like.
    virtual void filter_results(std::vector<Neighbor>& results) { (void)results; }
    virtual ~SearchStopCondition() {}
};

/// Search statistics (hnswlib's metric_hops and metric_distance_computations).
struct Metrics {
    uint64_t hops = 0;
    uint64_t distance_computations = 0;
};

/// A buffer allocated by the library (a serialised index). Move-only.
class Buffer {
 public:
    Buffer() = default;
    Buffer(uint8_t* data, size_t size) : data_(data), size_(size) {}
    Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; o.size_ = 0; }
    Buffer& operator=(Buffer&& o) noexcept {
        if (this != &o) {
            hnsw_buffer_free(data_, size_);
            data_ = o.data_;
            size_ = o.size_;
            o.data_ = nullptr;
            o.size_ = 0;
        }
        return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { hnsw_buffer_free(data_, size_); }
    const uint8_t* data() const noexcept { return data_; }
    size_t size() const noexcept { return size_; }
    const uint8_t* begin() const noexcept { return data_; }
    const uint8_t* end() const noexcept { return data_ + size_; }
    std::vector<uint8_t> to_vector() const { return std::vector<uint8_t>(begin(), end()); }

 private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

/// The library's version, e.g. "0.1.0".
inline std::string version() { return hnsw_version(); }
/// The distance kernels chosen for this CPU: "avx512", "avx2", "neon" or "scalar".
inline std::string simd_path() { return hnsw_simd_path(); }

namespace detail {

/// The C functions of the HNSW index, under the names IndexBase uses.
struct HnswOps {
    using Handle = hnsw_index;
    static void free(hnsw_index* h) { hnsw_index_free(h); }
    static constexpr auto knn = hnsw_index_knn;
    static constexpr auto knn_batch = hnsw_index_knn_batch;
    static constexpr auto range_batch = hnsw_index_range_search_batch;
    static constexpr auto docs = hnsw_index_search_docs;
    static constexpr auto get_items = hnsw_index_get_items;
    static constexpr auto ids = hnsw_index_ids;
    static constexpr auto count = hnsw_index_count;
    static constexpr auto max_elements = hnsw_index_max_elements;
    static constexpr auto dim = hnsw_index_dim;
    static constexpr auto contains = hnsw_index_contains;
    static constexpr auto resize = hnsw_index_resize;
    static constexpr auto save = hnsw_index_save_with;
    static constexpr auto serialize = hnsw_index_serialize;
};

/// The C functions of the brute-force index.
struct BruteForceOps {
    using Handle = hnsw_bf;
    static void free(hnsw_bf* h) { hnsw_bf_free(h); }
    static constexpr auto knn = hnsw_bf_knn;
    static constexpr auto knn_batch = hnsw_bf_knn_batch;
    static constexpr auto range_batch = hnsw_bf_range_search_batch;
    static constexpr auto docs = hnsw_bf_search_docs;
    static constexpr auto get_items = hnsw_bf_get_items;
    static constexpr auto ids = hnsw_bf_ids;
    static constexpr auto count = hnsw_bf_count;
    static constexpr auto max_elements = hnsw_bf_max_elements;
    static constexpr auto dim = hnsw_bf_dim;
    static constexpr auto contains = hnsw_bf_contains;
    static constexpr auto resize = hnsw_bf_resize;
    static constexpr auto save = hnsw_bf_save_with;
    static constexpr auto serialize = hnsw_bf_serialize;
};

/// The C view of SearchOptions, with the filter behind a trampoline (pinned: the C
/// options point into it).
struct CSearch {
    using F = const std::function<bool(uint64_t)>;
    explicit CSearch(const SearchOptions& opts)
        : o{opts.ef, opts.num_threads, nullptr, nullptr, opts.rerank, opts.label_filter.handle()},
          call{&opts.filter, {}} {
        if (opts.filter) {
            o.filter = &filter_trampoline<F>;
            o.filter_user_data = &call;
        }
    }
    CSearch(const CSearch&) = delete;
    CSearch& operator=(const CSearch&) = delete;
    hnsw_search_options o;
    FilterCall<F> call;
};

/// Library-allocated results, freed on scope exit.
struct ResultsOwner {
    hnsw_results* r = nullptr;
    ResultsOwner() = default;
    ResultsOwner(const ResultsOwner&) = delete;
    ResultsOwner& operator=(const ResultsOwner&) = delete;
    ~ResultsOwner() { hnsw_results_free(r); }
    std::vector<Neighbor> row(size_t i) const {
        std::vector<Neighbor> out;
        out.reserve(r->lims[i + 1] - r->lims[i]);
        for (size_t j = r->lims[i]; j < r->lims[i + 1]; ++j) out.push_back(Neighbor{r->labels[j], r->distances[j]});
        return out;
    }
};

/// A DocOf and the exception it may throw, behind the C document function.
struct DocCall {
    const DocOf* doc_of;
    ExceptionSlot error;
};

inline uint64_t doc_trampoline(uint64_t label, void* user_data) noexcept {
    auto* call = static_cast<DocCall*>(user_data);
    if (call->error.pending()) return UINT64_MAX;
    try {
        std::optional<uint64_t> d = (*call->doc_of)(label);
        return d ? *d : UINT64_MAX;
    } catch (...) {
        call->error.capture();
        return UINT64_MAX;
    }
}

/// A SearchStopCondition behind hnsw_stop_condition's callbacks: an exception ends
/// the search (should_stop_search answers true from then on) and is kept for the
/// caller.
struct StopCall {
    SearchStopCondition* cond;
    ExceptionSlot error;

    /// Runs `f` on the condition unless an exception is pending; `fallback` when one
    /// is, or when `f` throws (the exception is kept).
    template <class R, class F>
    static R guarded(void* u, R fallback, F&& f) noexcept {
        auto* c = static_cast<StopCall*>(u);
        if (c->error.pending()) return fallback;
        try {
            return f(*c->cond);
        } catch (...) {
            c->error.capture();
            return fallback;
        }
    }
    static void add(uint64_t label, const void* element, float dist, void* u) noexcept {
        guarded(u, false, [&](SearchStopCondition& c) { return c.add_point_to_result(label, element, dist), true; });
    }
    static void remove(uint64_t label, const void* element, float dist, void* u) noexcept {
        guarded(u, false,
                [&](SearchStopCondition& c) { return c.remove_point_from_result(label, element, dist), true; });
    }
    static bool stop(float cand, float lower, void* u) noexcept {
        return guarded(u, true, [&](SearchStopCondition& c) { return c.should_stop_search(cand, lower); });
    }
    static bool consider(float cand, float lower, void* u) noexcept {
        return guarded(u, false, [&](SearchStopCondition& c) { return c.should_consider_candidate(cand, lower); });
    }
    static bool extra(void* u) noexcept {
        return guarded(u, false, [&](SearchStopCondition& c) { return c.should_remove_extra(); });
    }
};

/// What Index and BruteForce share: ownership of the handle, search, reads, saving.
template <class Ops>
class IndexBase {
 public:
    using Handle = typename Ops::Handle;

    IndexBase(const IndexBase&) = delete;
    IndexBase& operator=(const IndexBase&) = delete;
    IndexBase(IndexBase&& o) noexcept : handle_(o.handle_), space_(std::move(o.space_)) { o.handle_ = nullptr; }
    IndexBase& operator=(IndexBase&& o) noexcept {
        if (this != &o) {
            Ops::free(handle_);
            handle_ = o.handle_;
            space_ = std::move(o.space_);
            o.handle_ = nullptr;
        }
        return *this;
    }
    ~IndexBase() { Ops::free(handle_); }

    /// Whether this object holds an index (false after a move or default construction).
    explicit operator bool() const noexcept { return handle_ != nullptr; }
    /// The space the index was made or loaded with.
    const Space& space() const noexcept { return space_; }
    /// The C handle, owned by this object.
    const Handle* handle() const noexcept { return handle_; }

    /// The `k` nearest neighbours of `query` (one vector of the space), closest first;
    /// fewer when fewer elements match.
    std::vector<Neighbor> search(const void* query, size_t k, const SearchOptions& opts = {}) const {
        std::vector<uint64_t> labels(k);
        std::vector<float> distances(k);
        size_t found = search_into(query, k, opts, labels.data(), distances.data());
        std::vector<Neighbor> out(found);
        for (size_t i = 0; i < found; ++i) out[i] = Neighbor{labels[i], distances[i]};
        return out;
    }
    template <class T>
    std::vector<Neighbor> search(const std::vector<T>& query, size_t k, const SearchOptions& opts = {}) const {
        space_.check_vectors<T>(query.size(), 1, "query");
        return search(static_cast<const void*>(query.data()), k, opts);
    }

    /// Search into caller buffers of at least `k` entries; returns the number of results.
    size_t search_into(const void* query, size_t k, const SearchOptions& opts, uint64_t* labels,
                       float* distances) const {
        CSearch c(opts);
        size_t found = 0;
        hnsw_status st = Ops::knn(handle_, query, k, &c.o, labels, distances, k, &found);
        c.call.error.rethrow_if_pending();
        finish(st);
        return found;
    }

    /// The `k` nearest neighbours of each query (rows of the space's vectors, one after
    /// the other), on `opts.num_threads` threads.
    std::vector<std::vector<Neighbor>> search_batch(const void* queries, size_t rows, size_t k,
                                                    const SearchOptions& opts = {}) const {
        std::vector<uint64_t> labels(rows * k);
        std::vector<float> distances(rows * k);
        std::vector<size_t> counts(rows);
        CSearch c(opts);
        hnsw_status st = Ops::knn_batch(handle_, queries, rows, k, &c.o, labels.data(), distances.data(),
                                        labels.size(), counts.data());
        c.call.error.rethrow_if_pending();
        finish(st);
        std::vector<std::vector<Neighbor>> out(rows);
        for (size_t r = 0; r < rows; ++r) {
            out[r].resize(counts[r]);
            for (size_t i = 0; i < counts[r]; ++i) out[r][i] = Neighbor{labels[r * k + i], distances[r * k + i]};
        }
        return out;
    }
    template <class T>
    std::vector<std::vector<Neighbor>> search_batch(const std::vector<T>& queries, size_t k,
                                                    const SearchOptions& opts = {}) const {
        size_t rows = space_.check_vectors<T>(queries.size(), 0, "queries");
        return search_batch(static_cast<const void*>(queries.data()), rows, k, opts);
    }

    /// Every element within distance `epsilon` of `query` (squared for l2), closest
    /// first, at most `max_results` (hnswlib's EpsilonSearchStopCondition). For Index,
    /// `opts.ef` is hnswlib's min_num_candidates (0: the index's ef): the search explores
    /// at least that many results, then goes on while candidates lie within epsilon.
    /// Exact on BruteForce. On a quantized index epsilon is compared with exact
    /// distances. InvalidArgumentError for a NaN epsilon, a negative one on l2, l2u8 or
    /// cosine, or max_results 0.
    std::vector<Neighbor> range_search(const void* query, float epsilon, size_t max_results,
                                       const SearchOptions& opts = {}) const {
        return std::move(range_search_batch(query, 1, epsilon, max_results, opts)[0]);
    }
    template <class T>
    std::vector<Neighbor> range_search(const std::vector<T>& query, float epsilon, size_t max_results,
                                       const SearchOptions& opts = {}) const {
        space_.check_vectors<T>(query.size(), 1, "query");
        return range_search(static_cast<const void*>(query.data()), epsilon, max_results, opts);
    }
    /// range_search for each of `rows` queries, on `opts.num_threads` threads.
    std::vector<std::vector<Neighbor>> range_search_batch(const void* queries, size_t rows, float epsilon,
                                                          size_t max_results, const SearchOptions& opts = {}) const {
        CSearch c(opts);
        ResultsOwner res;
        hnsw_status st = Ops::range_batch(handle_, queries, rows, epsilon, max_results, &c.o, &res.r);
        c.call.error.rethrow_if_pending();
        finish(st);
        std::vector<std::vector<Neighbor>> out(rows);
        for (size_t r = 0; r < rows; ++r) out[r] = res.row(r);
        return out;
    }
    template <class T>
    std::vector<std::vector<Neighbor>> range_search_batch(const std::vector<T>& queries, float epsilon,
                                                          size_t max_results, const SearchOptions& opts = {}) const {
        size_t rows = space_.check_vectors<T>(queries.size(), 0, "queries");
        return range_search_batch(static_cast<const void*>(queries.data()), rows, epsilon, max_results, opts);
    }

    /// Multi-vector search: the `k_docs` best documents, each as its closest vector,
    /// closest first, where `doc_of` gives each label's document (hnswlib's
    /// MultiVectorSearchStopCondition). For Index, `opts.ef` is hnswlib's ef_collection
    /// (0: the index's ef; at least k_docs); exact on BruteForce.
    std::vector<DocHit> search_docs(const void* query, size_t k_docs, const DocOf& doc_of,
                                    const SearchOptions& opts = {}) const {
        if (!doc_of) throw InvalidArgumentError("doc_of is empty");
        CSearch c(opts);
        DocCall call{&doc_of, {}};
        std::vector<uint64_t> docs(k_docs), labels(k_docs);
        std::vector<float> distances(k_docs);
        size_t found = 0;
        hnsw_status st = Ops::docs(handle_, query, k_docs, &c.o, &doc_trampoline, &call, docs.data(), labels.data(),
                                   distances.data(), k_docs, &found);
        c.call.error.rethrow_if_pending();
        call.error.rethrow_if_pending();
        finish(st);
        std::vector<DocHit> out(found);
        for (size_t i = 0; i < found; ++i) out[i] = DocHit{docs[i], labels[i], distances[i]};
        return out;
    }
    template <class T>
    std::vector<DocHit> search_docs(const std::vector<T>& query, size_t k_docs, const DocOf& doc_of,
                                    const SearchOptions& opts = {}) const {
        space_.check_vectors<T>(query.size(), 1, "query");
        return search_docs(static_cast<const void*>(query.data()), k_docs, doc_of, opts);
    }

    /// The stored vector of `label` (cosine: normalised).
    template <class T>
    std::vector<T> get_item(uint64_t label) const {
        return get_items<T>(std::vector<uint64_t>{label});
    }
    /// The stored vectors of `labels`, one after the other.
    template <class T>
    std::vector<T> get_items(const std::vector<uint64_t>& labels) const {
        std::vector<T> out(labels.size() * space_.element_size() / sizeof(T));
        space_.check_vectors<T>(out.size(), labels.size(), "get_items");
        get_items_into(labels.data(), labels.size(), out.data(), out.size() * sizeof(T));
        return out;
    }
    /// The stored vectors of `n` labels as raw bytes into `out` of `out_bytes` bytes.
    void get_items_into(const uint64_t* labels, size_t n, void* out, size_t out_bytes) const {
        finish(Ops::get_items(handle_, labels, n, out, out_bytes));
    }

    /// Every label, ascending.
    std::vector<uint64_t> ids() const {
        for (;;) {
            size_t count = 0;
            finish(Ops::ids(handle_, nullptr, 0, &count));
            std::vector<uint64_t> out(count);
            hnsw_status st = Ops::ids(handle_, out.data(), out.size(), &count);
            if (st == HNSW_ERR_BUFFER_TOO_SMALL) continue;  // grew in between: ask again
            finish(st);
            out.resize(count);
            return out;
        }
    }
    /// Whether `label` is in the index.
    bool contains(uint64_t label) const { return get_value<bool>(Ops::contains, label); }
    /// Number of elements (deleted ones included, for HNSW).
    size_t size() const { return get_value<size_t>(Ops::count); }
    /// Capacity.
    size_t max_elements() const { return get_value<size_t>(Ops::max_elements); }
    /// Floats or bytes per vector (element size for custom spaces).
    size_t dim() const { return get_value<size_t>(Ops::dim); }
    /// Changes the capacity; StateError below the element count.
    void resize(size_t max_elements) { finish(Ops::resize(handle_, max_elements)); }
    /// Saves in hnswlib's file format, or the native one with `opts.format`: a
    /// temporary file, synced unless `opts.sync` is false, renamed over `path`.
    void save(const std::string& path, const SaveOptions& opts = {}) const {
        hnsw_save_options c{opts.sync, static_cast<hnsw_file_format>(opts.format)};
        finish(Ops::save(handle_, path.c_str(), &c));
    }
    /// The index in hnswlib's file format, in memory.
    Buffer serialize() const {
        uint8_t* data = nullptr;
        size_t len = 0;
        finish(Ops::serialize(handle_, &data, &len));
        return Buffer(data, len);
    }
    /// serialize(), copied into a vector.
    std::vector<uint8_t> to_bytes() const { return serialize().to_vector(); }

 protected:
    IndexBase() = default;
    IndexBase(Handle* handle, Space space) : handle_(handle), space_(std::move(space)) {}

    /// Checks a C call's status, rethrowing first what a distance callback threw.
    void finish(hnsw_status status) const {
        space_.rethrow_callback_error();
        if (status != HNSW_OK) throw_status(status);
    }
    template <class T, class F, class... A>
    T get_value(F f, A... args) const {
        T v{};
        finish(f(handle_, args..., &v));
        return v;
    }
    /// Creates a handle with `create(Handle**)` and wraps it.
    template <class Self, class Create>
    static Self adopt(const Space& space, Create&& create) {
        Handle* h = nullptr;
        hnsw_status st = create(&h);
        space.rethrow_callback_error();
        check(st);
        return Self(h, space);
    }

    Handle* handle_ = nullptr;
    Space space_;
};

}  // namespace detail

// ---- the HNSW index --------------------------------------------------------------------

/// An HNSW index (hnswlib's HierarchicalNSW). Move-only; all methods are thread-safe.
class Index : public detail::IndexBase<detail::HnswOps> {
 public:
    /// An empty object holding no index; every call but assignment throws NullPointerError.
    Index() = default;
    /// A new empty index of `space`.
    Index(const Space& space, const IndexParams& params) : Index(create(space, params)) {}

    /// Loads an index file written by save() (either format) or hnswlib; `space` must
    /// match it (a native file of another space: InvalidArgumentError).
    static Index load(const std::string& path, const Space& space, const LoadOptions& opts = {}) {
        hnsw_load_options o = c_load(opts);
        return adopt<Index>(space, [&](hnsw_index** out) {
            return hnsw_index_load(path.c_str(), space.handle(), &o, out);
        });
    }
    /// Loads an index from bytes in either format (as from to_bytes()).
    static Index from_bytes(const uint8_t* data, size_t len, const Space& space, const LoadOptions& opts = {}) {
        hnsw_load_options o = c_load(opts);
        return adopt<Index>(space, [&](hnsw_index** out) {
            return hnsw_index_deserialize(data, len, space.handle(), &o, out);
        });
    }
    static Index from_bytes(const std::vector<uint8_t>& bytes, const Space& space, const LoadOptions& opts = {}) {
        return from_bytes(bytes.data(), bytes.size(), space, opts);
    }

    /// Loads a file in the native format (FileFormat::Native), which names its space,
    /// dimension and settings: space(), dim(), ef(), M(), max_elements(), quantization()
    /// ... are the file's (`opts` may raise the capacity or quantize, as for load()).
    /// FormatError for a file in hnswlib's format (load it with its space) or a
    /// truncated or corrupted one; InvalidArgumentError for a file of a custom distance
    /// (load() it with that space); IoError for a missing one.
    static Index open(const std::string& path, const LoadOptions& opts = {}) {
        hnsw_load_options o = c_load(opts);
        return adopt_with_own_space([&](hnsw_index** out) { return hnsw_index_open(path.c_str(), &o, out); });
    }
    /// open() from bytes in the native format (as from to_bytes(FileFormat::Native)).
    static Index from_native_bytes(const uint8_t* data, size_t len, const LoadOptions& opts = {}) {
        hnsw_load_options o = c_load(opts);
        return adopt_with_own_space(
            [&](hnsw_index** out) { return hnsw_index_deserialize_native(data, len, &o, out); });
    }
    static Index from_native_bytes(const std::vector<uint8_t>& bytes, const LoadOptions& opts = {}) {
        return from_native_bytes(bytes.data(), bytes.size(), opts);
    }

    /// Opens a native file as a read-only view: the file is mapped into memory, not
    /// read, and searches use it where it lies, so opening takes milliseconds whatever
    /// the size, an index larger than memory can be searched, and processes viewing one
    /// file share one copy of it in the page cache. Searches, reads, set_ef and save()
    /// work as on a loaded index; add, add_batch, mark_deleted, unmark_deleted and
    /// resize throw StateError ("... read-only view ..."). The file must not be
    /// truncated or rewritten in place while the view exists (save() replaces files by
    /// a rename, which is safe; so is deleting it). FormatError for a file not in the
    /// native format (hnswlib's: load() it), as open() gives, and for a truncated or
    /// damaged one; InvalidArgumentError for a file of a custom distance (use view());
    /// IoError for a missing one.
    static Index open_view(const std::string& path, const ViewOptions& opts = {}) {
        hnsw_view_options o{opts.verify, opts.populate};
        return adopt_with_own_space(
            [&](hnsw_index** out) { return hnsw_index_open_view(path.c_str(), &o, out); });
    }
    /// open_view() for any native file, including those of a custom distance, which
    /// need their space: `space` must match the file's (InvalidArgumentError if not).
    static Index view(const std::string& path, const Space& space, const ViewOptions& opts = {}) {
        hnsw_view_options o{opts.verify, opts.populate};
        return adopt<Index>(space, [&](hnsw_index** out) {
            return hnsw_index_view(path.c_str(), space.handle(), &o, out);
        });
    }
    /// Whether the index is a read-only view of a file (open_view(), view()).
    bool is_view() const { return get_value<bool>(hnsw_index_is_view); }

    using IndexBase::serialize;
    using IndexBase::to_bytes;
    /// The index in `format`, in memory (serialize() is hnswlib's format).
    Buffer serialize(FileFormat format) const {
        uint8_t* data = nullptr;
        size_t len = 0;
        finish(hnsw_index_serialize_with(handle_, static_cast<hnsw_file_format>(format), &data, &len));
        return Buffer(data, len);
    }
    /// serialize(format), copied into a vector.
    std::vector<uint8_t> to_bytes(FileFormat format) const { return serialize(format).to_vector(); }

    /// Adds one vector under `label`; an existing label's vector is replaced (its
    /// neighbourhood repaired). With `replace_deleted` a new label may take the slot of
    /// a deleted element (the index must allow it).
    void add(const void* vector, uint64_t label, bool replace_deleted = false) {
        finish(hnsw_index_add(handle_, vector, label, replace_deleted));
    }
    template <class T>
    void add(const std::vector<T>& vector, uint64_t label, bool replace_deleted = false) {
        space_.check_vectors<T>(vector.size(), 1, "vector");
        add(static_cast<const void*>(vector.data()), label, replace_deleted);
    }
    /// Adds `rows` vectors (one after the other) on several threads. `labels` holds
    /// `rows` labels, or is null for automatic labels (the element count so far). Every
    /// row and the capacity are checked before anything is added.
    void add_batch(const void* data, size_t rows, const uint64_t* labels, const AddOptions& opts = {}) {
        hnsw_add_options o{opts.num_threads, opts.replace_deleted, nullptr, nullptr};
        detail::ProgressCall call{&opts.progress, {}};
        if (opts.progress) {
            o.progress = &detail::progress_trampoline;
            o.progress_user_data = &call;
        }
        hnsw_status st = hnsw_index_add_batch(handle_, data, rows, labels, &o);
        call.error.rethrow_if_pending();
        finish(st);
    }
    /// add_batch over a vector of rows; `labels` empty means automatic labels.
    template <class T>
    void add_batch(const std::vector<T>& data, const std::vector<uint64_t>& labels = {},
                   const AddOptions& opts = {}) {
        size_t rows = space_.check_vectors<T>(data.size(), 0, "data");
        if (!labels.empty() && labels.size() != rows) {
            throw InvalidArgumentError("add_batch: " + std::to_string(labels.size()) + " labels for " +
                                       std::to_string(rows) + " rows");
        }
        add_batch(data.data(), rows, labels.empty() ? nullptr : labels.data(), opts);
    }

    /// Every vector of the `k_docs` best documents that the search found, closest first,
    /// with its document (what hnswlib's searchStopConditionClosest returns with a
    /// MultiVectorSearchStopCondition). Arguments as for search_docs.
    std::vector<DocHit> search_doc_hits(const void* query, size_t k_docs, const DocOf& doc_of,
                                        const SearchOptions& opts = {}) const {
        if (!doc_of) throw InvalidArgumentError("doc_of is empty");
        detail::DocCall call{&doc_of, {}};
        return search_doc_hits(query, k_docs, &detail::doc_trampoline, &call, opts, &call.error);
    }
    /// search_doc_hits with a C document function (UINT64_MAX: no document).
    std::vector<DocHit> search_doc_hits(const void* query, size_t k_docs, hnsw_doc_fn doc_of, void* user_data,
                                        const SearchOptions& opts = {},
                                        detail::ExceptionSlot* doc_error = nullptr) const {
        detail::CSearch c(opts);
        detail::ResultsOwner res;
        hnsw_status st = hnsw_index_search_doc_hits(handle_, query, k_docs, &c.o, doc_of, user_data, &res.r);
        c.call.error.rethrow_if_pending();
        if (doc_error) doc_error->rethrow_if_pending();
        finish(st);
        std::vector<DocHit> out(res.r->lims[1]);
        for (size_t i = 0; i < out.size(); ++i) out[i] = DocHit{res.r->docs[i], res.r->labels[i], res.r->distances[i]};
        return out;
    }

    /// Searches `query` under a stop condition of one's own (hnswlib's
    /// searchStopConditionClosest with any BaseSearchStopCondition): the descent, the
    /// level-0 walk with `cond` deciding, then cond.filter_results on the results,
    /// closest first, which are returned (labels, where hnswlib gives internal ids).
    /// `opts.filter` and `opts.label_filter` apply (what they reject is never offered to
    /// `cond`); `opts.ef` and `opts.rerank` are unused.
    std::vector<Neighbor> search_stop_condition(const void* query, SearchStopCondition& cond,
                                                const SearchOptions& opts = {}) const {
        detail::CSearch c(opts);
        detail::StopCall call{&cond, {}};
        hnsw_stop_condition sc{&detail::StopCall::add,      &detail::StopCall::remove, &detail::StopCall::stop,
                               &detail::StopCall::consider, &detail::StopCall::extra,  nullptr,
                               &call};
        detail::ResultsOwner res;
        hnsw_status st = hnsw_index_search_stop_condition(handle_, query, &sc, &c.o, &res.r);
        c.call.error.rethrow_if_pending();
        call.error.rethrow_if_pending();
        finish(st);
        std::vector<Neighbor> out = res.row(0);
        cond.filter_results(out);
        return out;
    }
    template <class T>
    std::vector<Neighbor> search_stop_condition(const std::vector<T>& query, SearchStopCondition& cond,
                                                const SearchOptions& opts = {}) const {
        space_.check_vectors<T>(query.size(), 1, "query");
        return search_stop_condition(static_cast<const void*>(query.data()), cond, opts);
    }

    // Internal ids (hnswlib's tableint): the order elements were added or loaded, 0
    // first; a replace-deleted add reuses the id it replaces. Ids are below size(),
    // deleted elements included; another id is an InvalidArgumentError.

    /// The internal id of `label`, deleted or not (LabelNotFoundError if absent).
    uint32_t internal_id(uint64_t label) const { return get_value<uint32_t>(hnsw_index_internal_id, label); }
    /// The label of internal id `id` (hnswlib's getExternalLabel).
    uint64_t label_at(uint64_t id) const { return get_value<uint64_t>(hnsw_index_label_at, id); }
    /// Whether internal id `id` is marked deleted (hnswlib's isMarkedDeleted(tableint)).
    bool is_deleted_at(uint64_t id) const { return get_value<bool>(hnsw_index_is_deleted_at, id); }
    /// A copy of the stored vector of internal id `id` (deleted elements too), as T
    /// (float for l2/ip/cosine, uint8_t for l2u8, any for custom spaces).
    template <class T>
    std::vector<T> vector_at(uint64_t id) const {
        std::vector<T> out(space_.element_size() / sizeof(T));
        space_.check_vectors<T>(out.size(), 1, "vector_at");
        vector_at_into(id, out.data(), out.size() * sizeof(T));
        return out;
    }
    /// The stored vector of internal id `id` as raw bytes into `out` of `out_bytes`.
    void vector_at_into(uint64_t id, void* out, size_t out_bytes) const {
        finish(hnsw_index_vector_at(handle_, id, out, out_bytes));
    }
    /// The address of the stored vector of internal id `id` inside the index (hnswlib's
    /// getDataByInternalId), read-only. Valid until resize(), the index's destruction or
    /// assignment, or an add that needs more slots than are allocated (an index made
    /// with a capacity has them all; a loaded one grows on demand, so any add may); its
    /// bytes change when the element is updated or its slot reused. Prefer vector_at.
    /// StateError for a codes-only quantized index.
    const void* vector_ptr_at(uint64_t id) const { return get_value<const void*>(hnsw_index_vector_ptr_at, id); }

    /// Marks `label` deleted: it still routes searches but is never returned.
    void mark_deleted(uint64_t label) { finish(hnsw_index_mark_deleted(handle_, label)); }
    /// Undoes mark_deleted.
    void unmark_deleted(uint64_t label) { finish(hnsw_index_unmark_deleted(handle_, label)); }
    /// Whether `label` is marked deleted (LabelNotFoundError for an unknown label).
    bool is_deleted(uint64_t label) const { return get_value<bool>(hnsw_index_is_deleted, label); }
    /// Number of elements marked deleted.
    size_t deleted_count() const { return get_value<size_t>(hnsw_index_deleted_count); }

    /// Sets the query-time ef (default 10); searches use max(ef, k).
    void set_ef(size_t ef) { finish(hnsw_index_set_ef(handle_, ef)); }
    size_t ef() const { return get_value<size_t>(hnsw_index_get_ef); }
    size_t M() const { return get_value<size_t>(hnsw_index_m); }
    size_t ef_construction() const { return get_value<size_t>(hnsw_index_ef_construction); }
    bool allow_replace_deleted() const { return get_value<bool>(hnsw_index_allow_replace_deleted); }
    /// Size in bytes of the file save() would write now.
    size_t serialized_size() const { return get_value<size_t>(hnsw_index_serialized_size); }

    /// Sets the re-ranking depth of a quantized index: searches re-score the best
    /// rerank * k candidates of the code traversal (at most ef) with exact distances;
    /// below 1 means k. Default 2 for Sq8, 4 for Sq4. InvalidArgumentError for NaN or
    /// infinity.
    void set_rerank(float rerank) { finish(hnsw_index_set_rerank(handle_, rerank)); }
    float rerank() const { return get_value<float>(hnsw_index_get_rerank); }
    /// The storage mode searches traverse, as made or loaded.
    Quantization quantization() const {
        return static_cast<Quantization>(get_value<hnsw_quantization>(hnsw_index_quantization));
    }
    /// Whether the exact vectors are kept (false only for a codes-only quantized index).
    bool keeps_vectors() const { return get_value<bool>(hnsw_index_keeps_vectors); }
    /// Whether a quantized index has learnt its codes (false for an unquantized one).
    bool is_trained() const { return get_value<bool>(hnsw_index_is_trained); }

    /// Search statistics since creation or reset_metrics().
    Metrics metrics() const {
        Metrics m;
        finish(hnsw_index_metrics(handle_, &m.hops, &m.distance_computations));
        return m;
    }
    void reset_metrics() { finish(hnsw_index_reset_metrics(handle_)); }
    /// hnswlib's checkIntegrity: checks every link list of the graph and returns the
    /// number of links checked; FormatError names the first violation.
    std::uint64_t check_integrity() const {
        std::uint64_t connections = 0;
        finish(hnsw_index_check_integrity(handle_, &connections));
        return connections;
    }

 private:
    friend class detail::IndexBase<detail::HnswOps>;
    Index(hnsw_index* h, const Space& space) : IndexBase(h, space) {}
    static Index create(const Space& space, const IndexParams& p) {
        hnsw_params c{p.max_elements, p.M, p.ef_construction, p.random_seed, p.allow_replace_deleted,
                      static_cast<hnsw_quantization>(p.quantization), p.keep_vectors};
        return adopt<Index>(space, [&](hnsw_index** out) { return hnsw_index_new(space.handle(), &c, out); });
    }
    /// Creates a handle with `create(hnsw_index**)` and wraps it with the space the
    /// library reports for it (an index opened from a native file).
    template <class Create>
    static Index adopt_with_own_space(Create&& create) {
        hnsw_index* h = nullptr;
        detail::check(create(&h));
        Index index(h, Space());  // owns h from here on
        hnsw_space* raw = nullptr;
        index.finish(hnsw_index_space(h, &raw));
        index.space_ = Space::wrap(raw);
        return index;
    }
    static hnsw_load_options c_load(const LoadOptions& o) {
        return hnsw_load_options{o.max_elements, o.allow_replace_deleted, o.random_seed,
                                 static_cast<hnsw_quantization>(o.quantization), o.keep_vectors};
    }
};

// ---- the brute-force index -------------------------------------------------------------

/// An exact (brute-force) index (hnswlib's BruteforceSearch / BFIndex). Move-only.
class BruteForce : public detail::IndexBase<detail::BruteForceOps> {
 public:
    /// An empty object holding no index.
    BruteForce() = default;
    /// A new empty index of `space` with room for `max_elements` vectors.
    BruteForce(const Space& space, size_t max_elements) : BruteForce(create(space, max_elements)) {}

    /// Loads a file written by save() or hnswlib; `max_elements` 0 keeps the file's capacity.
    static BruteForce load(const std::string& path, const Space& space, size_t max_elements = 0) {
        return adopt<BruteForce>(space, [&](hnsw_bf** out) {
            return hnsw_bf_load(path.c_str(), space.handle(), max_elements, out);
        });
    }
    static BruteForce from_bytes(const uint8_t* data, size_t len, const Space& space, size_t max_elements = 0) {
        return adopt<BruteForce>(space, [&](hnsw_bf** out) {
            return hnsw_bf_deserialize(data, len, space.handle(), max_elements, out);
        });
    }
    static BruteForce from_bytes(const std::vector<uint8_t>& bytes, const Space& space, size_t max_elements = 0) {
        return from_bytes(bytes.data(), bytes.size(), space, max_elements);
    }

    /// Adds one vector under `label`; an existing label's vector is overwritten.
    void add(const void* vector, uint64_t label) { finish(hnsw_bf_add(handle_, vector, label)); }
    template <class T>
    void add(const std::vector<T>& vector, uint64_t label) {
        space_.check_vectors<T>(vector.size(), 1, "vector");
        add(static_cast<const void*>(vector.data()), label);
    }
    /// Adds `rows` vectors under `rows` labels; all are checked before any is added.
    void add_batch(const void* data, size_t rows, const uint64_t* labels) {
        finish(hnsw_bf_add_batch(handle_, data, rows, labels));
    }
    template <class T>
    void add_batch(const std::vector<T>& data, const std::vector<uint64_t>& labels) {
        size_t rows = space_.check_vectors<T>(data.size(), 0, "data");
        if (labels.size() != rows) {
            throw InvalidArgumentError("add_batch: " + std::to_string(labels.size()) + " labels for " +
                                       std::to_string(rows) + " rows");
        }
        add_batch(data.data(), rows, labels.data());
    }
    /// Removes `label` (LabelNotFoundError for an unknown label).
    void remove(uint64_t label) { finish(hnsw_bf_remove(handle_, label)); }

 private:
    friend class detail::IndexBase<detail::BruteForceOps>;
    BruteForce(hnsw_bf* h, const Space& space) : IndexBase(h, space) {}
    static BruteForce create(const Space& space, size_t max_elements) {
        return adopt<BruteForce>(space, [&](hnsw_bf** out) { return hnsw_bf_new(space.handle(), max_elements, out); });
    }
};

}  // namespace hnswlib

#endif  // HNSWLIB_CPP_INDEX_H
