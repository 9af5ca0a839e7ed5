# Turns a text file into a C++ source defining `const char* const <symbol>`.
# Usage: cmake -DINPUT=... -DOUTPUT=... -DNAMESPACE=... -DSYMBOL=... -P embed_file.cmake
file(READ "${INPUT}" content)
set(delim "kho_embed")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}; do not edit.\nnamespace ${NAMESPACE} {\nextern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = R\"${delim}(${content})${delim}\";\n}\n")
