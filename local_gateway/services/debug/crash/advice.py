"""The words of the rule-based analyser: per crash class a title, root cause, fix and
prevention (``{top}`` is the crashing frame, ``{reason}`` the exception), and engine notes."""

from __future__ import annotations

TEXT = {
    "stack_overflow": (
        "Stack overflow",
        "Unbounded recursion in {top} exhausted the thread's stack.",
        "Find the recursion's missing or unreachable base case in {top}; turn deep recursion into a loop "
        "with an explicit stack, or move large local arrays to the heap.",
        "Bound recursion depth (assert on it in debug builds), keep large buffers off the stack, and test "
        "with the largest level/graph sizes the game supports.",
    ),
    "use_after_free": (
        "Use after free",
        "{top} read or wrote through a pointer to memory that was already freed (the address holds the "
        "allocator's freed-memory fill pattern).",
        "Find who frees the object that {top} still uses: clear or reset the pointer when it is freed, or "
        "own the object with a smart pointer / handle so its lifetime outlives the use.",
        "Run with AddressSanitizer or the debug heap (PageHeap / gflags) in CI, and prefer owning handles "
        "(unique_ptr, weak references, generation-checked ids) over raw pointers kept across frames.",
    ),
    "uninitialized_memory": (
        "Uninitialized memory",
        "{top} used a pointer read from memory that was never initialized (the address is the debug "
        "heap's or stack's fill pattern).",
        "Initialize the member or local that {top} dereferences (constructor initializer lists, "
        "= nullptr / {{}} defaults) and check it before use.",
        "Enable compiler warnings for uninitialized use (-Wuninitialized, /W4, /sdl), MemorySanitizer on "
        "Linux, and default member initializers.",
    ),
    "null_pointer": (
        "Null pointer dereference",
        "{top} dereferenced a null (or near-null) pointer: the fault address is a small offset from 0, "
        "i.e. a member or element of an object that does not exist.",
        "Check the pointer {top} uses before the access, and trace why it is null there (an object not yet "
        "spawned, already destroyed, or a failed lookup/load whose result was not checked).",
        "Return optionals or references instead of nullable pointers where null is not meaningful, check "
        "results of lookups and asset loads, and add null-state tests for the code path.",
    ),
    "abort": (
        "Abort / assertion failure",
        "The program stopped itself ({reason}): an assertion, a fatal check, an uncaught C++ exception or "
        "a runtime's fast-fail fired near {top}.",
        "Read the assertion message or the logged error just before the crash; fix the violated "
        "invariant, or catch the exception that escaped {top}.",
        "Keep assertions' messages specific, log the failed condition's values, and cover the invariant "
        "with a test so it fails in CI rather than in players' hands.",
    ),
    "out_of_memory": (
        "Out of memory",
        "An allocation failed near {top}: the process ran out of memory or address space.",
        "Look for a leak or an unbounded cache on this path; check the allocation size for a corrupt or "
        "overflowing count before {top} allocates.",
        "Track memory per subsystem and budget it, stream assets instead of loading them whole, and run "
        "soak tests that watch the working set.",
    ),
    "illegal_instruction": (
        "Illegal instruction",
        "The CPU refused to execute an instruction in {top}: a compiler-inserted trap (ud2 after undefined "
        "behaviour or an unreachable path), or an instruction set the player's CPU lacks (e.g. AVX).",
        "Check {top} for undefined behaviour (a missing return, __builtin_unreachable reached); if the "
        "players' CPUs are old, build without the newer instruction set or dispatch on CPU features.",
        "Build with -fsanitize=undefined in CI, keep -Werror=return-type, and state the minimum CPU "
        "features in the build configuration.",
    ),
    "divide_by_zero": (
        "Integer divide by zero",
        "{top} divided by an integer that was zero.",
        "Guard the divisor in {top} (an empty container's size, a zero delta time, a count of zero).",
        "Validate inputs that become divisors and add tests with empty and zero-sized inputs.",
    ),
    "wild_access": (
        "Invalid memory access",
        "{top} accessed an address that is neither null nor mapped: a corrupted pointer, an "
        "out-of-bounds index, or memory that was freed and reused.",
        "Check index bounds and pointer arithmetic in {top}; look for a buffer overrun that corrupted the "
        "pointer earlier.",
        "Run AddressSanitizer builds in CI and use bounds-checked containers (at(), span) in debug builds.",
    ),
    "invalid_access": (
        "Invalid memory access",
        "{top} accessed memory it may not ({reason}). The fault address is not known from a text stack "
        "trace; a null pointer is the most common cause, then a dangling or corrupted one.",
        "Check every pointer {top} dereferences for null and for objects destroyed earlier; submit the "
        "minidump for the fault address, which tells these apart.",
        "Check lookups and loads for failure, own objects with handles or smart pointers, and run "
        "AddressSanitizer builds in CI.",
    ),
    "unknown": (
        "Unrecognised crash",
        "The exception ({reason}) does not match a known crash class; the crashing frame is {top}.",
        "Start from {top} and the thread's frames; upload symbols if frames are unnamed.",
        "Keep symbols uploaded for every build so frames are named and grouped.",
    ),
}

ENGINE = {
    "unreal": {
        "null_pointer": "**Unreal:** check IsValid() on UObjects before use; a UPROPERTY() member keeps "
        "objects alive through garbage collection, a raw pointer does not.",
        "abort": "**Unreal:** check()/verify() failures and ensure() end here; the log line before the crash "
        "names the failed condition.",
        "use_after_free": "**Unreal:** use TWeakObjectPtr for objects you do not own; a raw UObject* "
        "dangles after garbage collection.",
    },
    "unity": {
        "null_pointer": "**Unity:** in IL2CPP builds a NullReferenceException in C# can surface as a native "
        "access violation; check destroyed GameObjects (== null) before use.",
        "stack_overflow": "**Unity:** recursive property getters or OnValidate/Update calling themselves are "
        "a common cause.",
    },
    "godot": {
        "null_pointer": "**Godot:** check is_instance_valid() on nodes that may have been freed "
        "(queue_free).",
    },
}
