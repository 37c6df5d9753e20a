# Provides the INTERFACE target `logitlens_ggml`: ggml's libraries (built as
# shared libraries, or found on the system). LOGITLENS_GGML_SOURCE picks the origin.
# The shim reaches every backend through ggml's registry (ll_backend.c), so it links
# ggml and ggml-base only: backends are loaded at run time when LOGITLENS_PORTABLE is on.

include(LogitlensGgmlVersion)

set(LOGITLENS_GGML_EXPECTED_VERSION "0.25.1")

# ggml's own options, pinned for every source that builds ggml from sources.
# Must be a macro: the values have to be visible to add_subdirectory.
macro(logitlens_configure_ggml_options)
    set(BUILD_SHARED_LIBS ON)
    # Portable: every CPU backend variant ggml knows for the architecture, each a library that
    # ggml loads when the running CPU has its instructions (ll_backend.c picks the best).
    # Not portable: one CPU backend for the build machine's CPU (-march=native), linked in.
    if(LOGITLENS_PORTABLE)
        set(GGML_BACKEND_DL ON)
        set(GGML_CPU_ALL_VARIANTS ON)
        set(GGML_NATIVE OFF)
    else()
        set(GGML_BACKEND_DL OFF)
        set(GGML_CPU_ALL_VARIANTS OFF)
        set(GGML_NATIVE ON)
    endif()
    set(GGML_BUILD_TESTS OFF)
    set(GGML_BUILD_EXAMPLES OFF)
    # llamafile's tinyBLAS sgemm speeds up f32/f16 matrix products on the CPU
    # (llama.cpp turns it on the same way); -DGGML_LLAMAFILE=OFF still wins.
    set(GGML_LLAMAFILE_DEFAULT ON)
    # ggml's own thread pool, not OpenMP: OpenMP's workers spin after each graph and steal the
    # cores from the JVM's statistics threads that run between two native calls.
    set(GGML_OPENMP OFF)
    # Plain file names (libggml-base.so, no .so.0 symlinks): the libraries are
    # shipped side by side inside a jar, where symlinks do not survive.
    set(CMAKE_PLATFORM_NO_VERSIONED_SONAME ON)
    if(LOGITLENS_CUDA)
        set(GGML_CUDA ON)
        set(GGML_CUDA_FA OFF)
    else()
        set(GGML_CUDA OFF)
    endif()
endmacro()

function(logitlens_ggml_from_dir source_dir)
    if(NOT EXISTS "${source_dir}/CMakeLists.txt")
        message(FATAL_ERROR
            "LOGITLENS_GGML_DIR='${source_dir}' has no CMakeLists.txt. Point it at ggml's "
            "source folder (for llama.cpp checkouts: <llama.cpp>/ggml).")
    endif()
    logitlens_read_ggml_version("${source_dir}" version)
    if(NOT version STREQUAL LOGITLENS_GGML_EXPECTED_VERSION)
        message(WARNING "ggml in '${source_dir}' is version '${version}'; logitlens is tested "
                        "with ${LOGITLENS_GGML_EXPECTED_VERSION}.")
    endif()
    logitlens_configure_ggml_options()
    add_subdirectory("${source_dir}" "${CMAKE_BINARY_DIR}/ggml")
endfunction()

function(logitlens_ggml_from_git)
    include(FetchContent)
    logitlens_configure_ggml_options()
    # A shallow clone can fetch a tag or a branch, not a commit hash.
    string(LENGTH "${LOGITLENS_GGML_GIT_TAG}" tag_length)
    if(LOGITLENS_GGML_GIT_TAG MATCHES "^[0-9a-f]+$" AND tag_length GREATER_EQUAL 7)
        set(shallow FALSE)
    else()
        set(shallow TRUE)
    endif()
    FetchContent_Declare(logitlens_llama_cpp
        GIT_REPOSITORY "${LOGITLENS_GGML_GIT_REPOSITORY}"
        GIT_TAG        "${LOGITLENS_GGML_GIT_TAG}"
        GIT_SHALLOW    ${shallow}
        SOURCE_SUBDIR  ggml)
    FetchContent_MakeAvailable(logitlens_llama_cpp)
endfunction()

function(logitlens_ggml_from_system)
    find_package(ggml CONFIG REQUIRED)
    if(LOGITLENS_CUDA AND NOT TARGET ggml::ggml-cuda)
        message(FATAL_ERROR
            "LOGITLENS_CUDA=ON but the system ggml (${ggml_DIR}) has no CUDA backend "
            "(ggml::ggml-cuda). Install a CUDA build of ggml or use LOGITLENS_GGML_SOURCE=npm.")
    endif()
    # The installed libggml* are not beside liblogitlens: add their folder to
    # its RUNPATH (next to $ORIGIN).
    target_link_options(logitlens_ggml INTERFACE "LINKER:-rpath,${GGML_LIB_DIR}")
endfunction()

# Defines `logitlens_ggml`, linking ggml::ggml (whose interface carries
# ggml-base and every compiled-in backend, ggml-cpu included).
function(logitlens_add_ggml)
    add_library(logitlens_ggml INTERFACE)
    if(LOGITLENS_GGML_SOURCE STREQUAL "npm")
        include(LogitlensGgmlNpm)
        logitlens_fetch_ggml_from_npm(source_dir)
        logitlens_ggml_from_dir("${source_dir}")
    elseif(LOGITLENS_GGML_SOURCE STREQUAL "dir")
        logitlens_ggml_from_dir("${LOGITLENS_GGML_DIR}")
    elseif(LOGITLENS_GGML_SOURCE STREQUAL "git")
        logitlens_ggml_from_git()
    elseif(LOGITLENS_GGML_SOURCE STREQUAL "system")
        logitlens_ggml_from_system()
    else()
        message(FATAL_ERROR
            "LOGITLENS_GGML_SOURCE='${LOGITLENS_GGML_SOURCE}' is not one of npm, dir, git, system.")
    endif()

    target_link_libraries(logitlens_ggml INTERFACE ggml::ggml)

    # ggml writes backend modules (GGML_BACKEND_DL) to the executables' folder; the shim looks
    # for them beside itself, in lib/.
    foreach(backend ${GGML_AVAILABLE_BACKENDS})
        if(TARGET ${backend})
            get_target_property(backend_imported ${backend} IMPORTED)
            if(NOT backend_imported)
                set_target_properties(${backend} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/lib")
            endif()
        endif()
    endforeach()
endfunction()
