{
  "targets": [
    {
      "target_name": "eddy_native",
      "sources": ["eddy_native.cc"],
      "cflags_cc": ["-O3", "-march=native", "-ffp-contract=fast", "-Wall", "-Wno-unused-function"],
      "cflags_cc!": ["-O2", "-O0"],
      "cflags!": ["-O2", "-O0"]
    }
  ]
}
