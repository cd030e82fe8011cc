// The examples' multi-threaded loop, as hnswlib's examples write it: indexes handed out
// by an atomic counter to `threads` std::threads; the first exception stops the loop and
// is rethrown after joining.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

template <class Function>
void parallel_for(size_t start, size_t end, size_t threads, Function fn) {
    std::atomic<size_t> next{start};
    std::vector<std::thread> pool;
    std::exception_ptr error;
    std::mutex error_mutex;
    for (size_t t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (size_t i; (i = next.fetch_add(1)) < end;) {
                try {
                    fn(i);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(error_mutex);
                    error = std::current_exception();
                    next = end;
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}
