# logitlens_fetch_ggml_from_npm(<out var>): makes ggml's sources available
# under ${CMAKE_SOURCE_DIR}/.cache/ggml/llama.cpp and returns the ggml folder.
#
# The npm package node-llama-cpp ships llama.cpp as a git bundle
# (package/llama/gitRelease.bundle). The first configure packs the package
# with npm, extracts only that bundle, clones it, checks ggml's version and
# renames the clone into place; an interrupted run leaves nothing but a
# scratch folder that the next run deletes. Once the cache exists nothing is
# downloaded: later configures work offline.

include(LogitlensGgmlVersion)

set(LOGITLENS_NPM_PACKAGE "node-llama-cpp@3.22.1")
set(LOGITLENS_NPM_TARBALL "node-llama-cpp-3.22.1.tgz")
set(LOGITLENS_NPM_BUNDLE "package/llama/gitRelease.bundle")

function(logitlens_ggml_npm_fail what detail)
    message(FATAL_ERROR
        "Could not get ggml from npm: ${what}.\n${detail}\n"
        "Alternatives: -DLOGITLENS_GGML_SOURCE=dir -DLOGITLENS_GGML_DIR=<ggml source folder>, "
        "-DLOGITLENS_GGML_SOURCE=git (clones LOGITLENS_GGML_GIT_REPOSITORY), or "
        "-DLOGITLENS_GGML_SOURCE=system (an installed ggml ${LOGITLENS_GGML_EXPECTED_VERSION}).")
endfunction()

function(logitlens_check_npm_ggml_version ggml_dir)
    logitlens_read_ggml_version("${ggml_dir}" version)
    if(NOT version STREQUAL LOGITLENS_GGML_EXPECTED_VERSION)
        logitlens_ggml_npm_fail("ggml in '${ggml_dir}' is version '${version}', expected ${LOGITLENS_GGML_EXPECTED_VERSION}"
            "Delete ${CMAKE_SOURCE_DIR}/.cache/ggml and configure again.")
    endif()
endfunction()

function(logitlens_npm_pack scratch)
    find_program(LOGITLENS_NPM_EXECUTABLE NAMES npm npm.cmd)
    if(NOT LOGITLENS_NPM_EXECUTABLE)
        logitlens_ggml_npm_fail("npm was not found on PATH" "Install Node.js/npm, or use another source.")
    endif()
    message(STATUS "logitlens: npm pack ${LOGITLENS_NPM_PACKAGE} (first configure only)")
    execute_process(
        COMMAND "${LOGITLENS_NPM_EXECUTABLE}" pack "${LOGITLENS_NPM_PACKAGE}" --loglevel=error
                --pack-destination "${scratch}"
        WORKING_DIRECTORY "${scratch}"
        RESULT_VARIABLE result
        OUTPUT_VARIABLE output
        ERROR_VARIABLE error)
    if(NOT result EQUAL 0 OR NOT EXISTS "${scratch}/${LOGITLENS_NPM_TARBALL}")
        logitlens_ggml_npm_fail("'npm pack ${LOGITLENS_NPM_PACKAGE}' failed (exit ${result})"
            "${error}${output}\nnpm needs to reach its registry once (see 'npm config get registry'); "
            "later configures use the cache in ${CMAKE_SOURCE_DIR}/.cache/ggml.")
    endif()
endfunction()

function(logitlens_extract_bundle scratch)
    file(ARCHIVE_EXTRACT
        INPUT "${scratch}/${LOGITLENS_NPM_TARBALL}"
        DESTINATION "${scratch}/package-files"
        PATTERNS "${LOGITLENS_NPM_BUNDLE}")
    if(NOT EXISTS "${scratch}/package-files/${LOGITLENS_NPM_BUNDLE}")
        logitlens_ggml_npm_fail("${LOGITLENS_NPM_TARBALL} has no ${LOGITLENS_NPM_BUNDLE}"
            "The package layout changed; pin another version or use another source.")
    endif()
endfunction()

function(logitlens_clone_bundle scratch)
    find_package(Git QUIET)
    if(NOT GIT_FOUND)
        logitlens_ggml_npm_fail("git was not found" "Install git, or use another source.")
    endif()
    execute_process(
        COMMAND "${GIT_EXECUTABLE}" -c advice.detachedHead=false clone --quiet
                "${scratch}/package-files/${LOGITLENS_NPM_BUNDLE}" "${scratch}/llama.cpp"
        RESULT_VARIABLE result
        OUTPUT_VARIABLE output
        ERROR_VARIABLE error)
    if(NOT result EQUAL 0 OR NOT EXISTS "${scratch}/llama.cpp/ggml/CMakeLists.txt")
        logitlens_ggml_npm_fail("cloning ${LOGITLENS_NPM_BUNDLE} failed (exit ${result})"
            "${error}${output}")
    endif()
endfunction()

function(logitlens_fetch_ggml_from_npm out_var)
    set(cache "${CMAKE_SOURCE_DIR}/.cache/ggml")
    set(checkout "${cache}/llama.cpp")
    set(${out_var} "${checkout}/ggml" PARENT_SCOPE)
    if(EXISTS "${checkout}/ggml/CMakeLists.txt")
        logitlens_check_npm_ggml_version("${checkout}/ggml")
        return()
    endif()

    set(scratch "${cache}/partial")
    file(REMOVE_RECURSE "${scratch}" "${checkout}")
    file(MAKE_DIRECTORY "${scratch}")
    logitlens_npm_pack("${scratch}")
    logitlens_extract_bundle("${scratch}")
    logitlens_clone_bundle("${scratch}")
    logitlens_check_npm_ggml_version("${scratch}/llama.cpp/ggml")
    file(RENAME "${scratch}/llama.cpp" "${checkout}")
    file(REMOVE_RECURSE "${scratch}")
    message(STATUS "logitlens: ggml sources cached in ${checkout}")
endfunction()
