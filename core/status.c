/* status.c: names and descriptions of the VL_* status codes (see vl_status.h). */
#include "vl_status.h"

const char *vl_strerror(int code)
{
  switch (code) {
  case VL_OK: return "success";
  case VL_ENOMEM: return "out of memory";
  case VL_EINVAL: return "invalid argument";
  case VL_ELIMIT: return "limit exceeded";
  case VL_ETYPE: return "unsupported value type";
  case VL_EPARSE: return "malformed input";
  case VL_EIO: return "input/output error";
  case VL_ERUNTIME: return "Lua runtime error";
  case VL_EINPUT: return "bad input";
  default: return "unknown error";
  }
}

const char *vl_errcode(int code)
{
  switch (code) {
  case VL_OK: return "OK";
  case VL_ENOMEM: return "ENOMEM";
  case VL_EINVAL: return "EINVAL";
  case VL_ELIMIT: return "ELIMIT";
  case VL_ETYPE: return "ETYPE";
  case VL_EPARSE: return "EPARSE";
  case VL_EIO: return "EIO";
  case VL_ERUNTIME: return "ERUNTIME";
  case VL_EINPUT: return "EINPUT";
  default: return "EUNKNOWN";
  }
}
