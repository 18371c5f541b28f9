/*
 * testp11.dll: a small PKCS#11 module for Windows, written for airsign's tests, so the koffi path
 * (src/keys/pkcs11/pkcs11-ffi.ts) is exercised by the win-x64 executable under wine. One slot, one
 * token ("airsign-win", user PIN "1234"), one EC P-256 key pair (label "signer", id 0x42: the fixed
 * test key of test/fixtures/win-pkcs11/, public parts readable without a login), one mechanism:
 * CKM_ECDSA (hash in, raw r||s out), signed with Windows CNG (bcrypt.dll: ECDSA_P256), which wine
 * implements through gnutls.
 *
 * The types below are written from the PKCS#11 2.40 specification. As every Windows cryptoki
 * header does, structures are packed to 1 byte (#pragma pack(push, cryptoki, 1)) and CK_ULONG is
 * the platform's unsigned long (4 bytes on Win64): the static assertions check that the layout
 * airsign must read is the packed one (CK_FUNCTION_LIST's pointers start at offset 2).
 *
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -o testp11.dll testp11.c -lbcrypt
 */
#include <windows.h>
#include <bcrypt.h>
#include <stddef.h>
#include <string.h>

typedef unsigned char CK_BYTE;
typedef CK_BYTE CK_BBOOL;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV, CK_FLAGS, CK_SLOT_ID, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_TYPE, CK_MECHANISM_TYPE, CK_USER_TYPE;

#pragma pack(push, cryptoki, 1)
typedef struct { CK_BYTE major, minor; } CK_VERSION;
typedef struct {
  CK_VERSION cryptokiVersion;
  CK_BYTE manufacturerID[32];
  CK_FLAGS flags;
  CK_BYTE libraryDescription[32];
  CK_VERSION libraryVersion;
} CK_INFO;
typedef struct {
  CK_BYTE slotDescription[64];
  CK_BYTE manufacturerID[32];
  CK_FLAGS flags;
  CK_VERSION hardwareVersion, firmwareVersion;
} CK_SLOT_INFO;
typedef struct {
  CK_BYTE label[32], manufacturerID[32], model[16], serialNumber[16];
  CK_FLAGS flags;
  CK_ULONG maxSessionCount, sessionCount, maxRwSessionCount, rwSessionCount, maxPinLen, minPinLen;
  CK_ULONG totalPublicMemory, freePublicMemory, totalPrivateMemory, freePrivateMemory;
  CK_VERSION hardwareVersion, firmwareVersion;
  CK_BYTE utcTime[16];
} CK_TOKEN_INFO;
typedef struct { CK_ULONG ulMinKeySize, ulMaxKeySize; CK_FLAGS flags; } CK_MECHANISM_INFO;
typedef struct { CK_ATTRIBUTE_TYPE type; void *pValue; CK_ULONG ulValueLen; } CK_ATTRIBUTE;
typedef struct { CK_MECHANISM_TYPE mechanism; void *pParameter; CK_ULONG ulParameterLen; } CK_MECHANISM;
typedef struct {
  void *CreateMutex, *DestroyMutex, *LockMutex, *UnlockMutex;
  CK_FLAGS flags;
  void *pReserved;
} CK_C_INITIALIZE_ARGS;
/* A generic function pointer (void (*)(void) is the one GCC lets any function cast to). */
typedef void (*CK_ANY_FUNCTION)(void);
/* CK_FUNCTION_LIST: the version, then the 68 functions of PKCS#11 2.40 in the specification's order. */
#define FUNCTION_COUNT 68
typedef struct {
  CK_VERSION version;
  CK_ANY_FUNCTION functions[FUNCTION_COUNT];
} CK_FUNCTION_LIST;
#pragma pack(pop, cryptoki)

#ifdef _WIN64
_Static_assert(sizeof(CK_ULONG) == 4, "CK_ULONG is 4 bytes on Win64");
_Static_assert(offsetof(CK_FUNCTION_LIST, functions) == 2, "packed: function pointers start at offset 2");
_Static_assert(sizeof(CK_ATTRIBUTE) == 16, "packed CK_ATTRIBUTE is 4 + 8 + 4 bytes");
_Static_assert(sizeof(CK_MECHANISM) == 16, "packed CK_MECHANISM is 4 + 8 + 4 bytes");
_Static_assert(offsetof(CK_C_INITIALIZE_ARGS, pReserved) == 36, "packed CK_C_INITIALIZE_ARGS");
#endif

/* Function indexes in CK_FUNCTION_LIST (PKCS#11 2.40 order). */
enum {
  F_Initialize, F_Finalize, F_GetInfo, F_GetFunctionList, F_GetSlotList, F_GetSlotInfo, F_GetTokenInfo,
  F_GetMechanismList, F_GetMechanismInfo, F_InitToken, F_InitPIN, F_SetPIN, F_OpenSession, F_CloseSession,
  F_CloseAllSessions, F_GetSessionInfo, F_GetOperationState, F_SetOperationState, F_Login, F_Logout,
  F_CreateObject, F_CopyObject, F_DestroyObject, F_GetObjectSize, F_GetAttributeValue, F_SetAttributeValue,
  F_FindObjectsInit, F_FindObjects, F_FindObjectsFinal, F_EncryptInit, F_Encrypt, F_EncryptUpdate,
  F_EncryptFinal, F_DecryptInit, F_Decrypt, F_DecryptUpdate, F_DecryptFinal, F_DigestInit, F_Digest,
  F_DigestUpdate, F_DigestKey, F_DigestFinal, F_SignInit, F_Sign
};

#define CKR_OK 0x0UL
#define CKR_SLOT_ID_INVALID 0x3UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_ATTRIBUTE_SENSITIVE 0x11UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x12UL
#define CKR_DATA_LEN_RANGE 0x21UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x54UL
#define CKR_KEY_HANDLE_INVALID 0x60UL
#define CKR_KEY_TYPE_INCONSISTENT 0x63UL
#define CKR_MECHANISM_INVALID 0x70UL
#define CKR_OBJECT_HANDLE_INVALID 0x82UL
#define CKR_OPERATION_ACTIVE 0x90UL
#define CKR_OPERATION_NOT_INITIALIZED 0x91UL
#define CKR_PIN_INCORRECT 0xA0UL
#define CKR_SESSION_COUNT 0xB1UL
#define CKR_SESSION_HANDLE_INVALID 0xB3UL
#define CKR_SESSION_PARALLEL_NOT_SUPPORTED 0xB4UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_USER_NOT_LOGGED_IN 0x101UL
#define CKR_USER_TYPE_INVALID 0x103UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL

#define CKF_TOKEN_PRESENT 0x1UL
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKF_LOGIN_REQUIRED 0x4UL
#define CKF_USER_PIN_INITIALIZED 0x8UL
#define CKF_TOKEN_INITIALIZED 0x400UL
#define CKF_SIGN 0x800UL
#define CKF_EC_F_P 0x100000UL
#define CKF_EC_NAMEDCURVE 0x800000UL
#define CKF_EC_UNCOMPRESS 0x1000000UL

#define CKA_CLASS 0x0UL
#define CKA_TOKEN 0x1UL
#define CKA_PRIVATE 0x2UL
#define CKA_LABEL 0x3UL
#define CKA_VALUE 0x11UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_ID 0x102UL
#define CKA_SENSITIVE 0x103UL
#define CKA_SIGN 0x108UL
#define CKA_VERIFY 0x10AUL
#define CKA_EXTRACTABLE 0x162UL
#define CKA_EC_PARAMS 0x180UL
#define CKA_EC_POINT 0x181UL
#define CKA_ALWAYS_AUTHENTICATE 0x202UL

#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
#define CKK_EC 3UL
#define CKU_USER 1UL
#define CKM_ECDSA 0x1041UL
#define CK_UNAVAILABLE ((CK_ULONG)-1)

#define EXPORT __declspec(dllexport)

/* The fixed test key (test/fixtures/win-pkcs11/key.pem): scalar d, and the point X, Y. */
static const char KEY_D[] = "2aedc0887c9d6fcd1a901e73a9eea69e48f0ac7b1b6a90889e96521fc9e8395e";
static const char KEY_X[] = "bed961a0d7f275f759364139f3dfa2c782c524fb862b47052c74b9d25e94b529";
static const char KEY_Y[] = "55d143e39e8e7103d4bc58715c0964e3e8231d9298afb0f7f0e06c97fbc03146";
static const char PIN[] = "1234";
static const char TOKEN_LABEL[] = "airsign-win";
static const char KEY_LABEL[] = "signer";
static const CK_BYTE KEY_ID[] = {0x42};
/* DER OID 1.2.840.10045.3.1.7 (prime256v1). */
static const CK_BYTE P256_PARAMS[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

#define SLOT_ID 1UL
#define PUBLIC_HANDLE 1UL
#define PRIVATE_HANDLE 2UL
#define MAX_SESSIONS 8

static int initialized;
static int logged_in;
static CK_BYTE ec_point[2 + 65]; /* DER OCTET STRING holding 04 || X || Y */

typedef struct {
  int open;
  int finding, found_next, found_count;
  CK_OBJECT_HANDLE found[2];
  int signing;
} SESSION;
static SESSION sessions[MAX_SESSIONS + 1]; /* handle n is sessions[n], 1..MAX_SESSIONS */

static void unhex(const char *hex, CK_BYTE *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = 0;
    for (int j = 0; j < 2; j++) {
      char c = hex[2 * i + j];
      v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    out[i] = (CK_BYTE)v;
  }
}

static void pad(CK_BYTE *field, size_t size, const char *text) {
  memset(field, ' ', size);
  memcpy(field, text, strlen(text) < size ? strlen(text) : size);
}

static SESSION *session_of(CK_SESSION_HANDLE h) {
  if (h < 1 || h > MAX_SESSIONS || !sessions[h].open) return NULL;
  return &sessions[h];
}

/* One attribute of an object as bytes; 0 when the object has no such attribute, -1 when sensitive. */
static int attribute_of(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type, const void **value, CK_ULONG *len) {
  static const CK_ULONG public_class = CKO_PUBLIC_KEY, private_class = CKO_PRIVATE_KEY, ec = CKK_EC;
  static const CK_BBOOL yes = 1, no = 0;
  int private = object == PRIVATE_HANDLE;
  switch (type) {
    case CKA_CLASS: *value = private ? &private_class : &public_class; *len = sizeof(CK_ULONG); return 1;
    case CKA_KEY_TYPE: *value = &ec; *len = sizeof(CK_ULONG); return 1;
    case CKA_TOKEN: *value = &yes; *len = 1; return 1;
    case CKA_PRIVATE: *value = private ? &yes : &no; *len = 1; return 1;
    case CKA_LABEL: *value = KEY_LABEL; *len = (CK_ULONG)strlen(KEY_LABEL); return 1;
    case CKA_ID: *value = KEY_ID; *len = sizeof KEY_ID; return 1;
    case CKA_EC_PARAMS: *value = P256_PARAMS; *len = sizeof P256_PARAMS; return 1;
    case CKA_EC_POINT: if (private) return 0; *value = ec_point; *len = sizeof ec_point; return 1;
    case CKA_SIGN: if (!private) return 0; *value = &yes; *len = 1; return 1;
    case CKA_VERIFY: if (private) return 0; *value = &yes; *len = 1; return 1;
    case CKA_SENSITIVE: case CKA_ALWAYS_AUTHENTICATE: case CKA_EXTRACTABLE:
      if (!private) return 0;
      *value = type == CKA_SENSITIVE ? &yes : &no; *len = 1; return 1;
    case CKA_VALUE: return private ? -1 : 0;
    default: return 0;
  }
}

static CK_RV C_Initialize(void *args) {
  if (initialized) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  (void)args; /* no threads of its own: CKF_OS_LOCKING_OK or not, nothing to do */
  ec_point[0] = 0x04;
  ec_point[1] = 65;
  ec_point[2] = 0x04;
  unhex(KEY_X, ec_point + 3, 32);
  unhex(KEY_Y, ec_point + 35, 32);
  memset(sessions, 0, sizeof sessions);
  logged_in = 0;
  initialized = 1;
  return CKR_OK;
}

static CK_RV C_Finalize(void *reserved) {
  if (reserved != NULL) return CKR_ARGUMENTS_BAD;
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  initialized = 0;
  logged_in = 0;
  return CKR_OK;
}

static CK_RV C_GetInfo(CK_INFO *info) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  memset(info, 0, sizeof *info);
  info->cryptokiVersion.major = 2;
  info->cryptokiVersion.minor = 40;
  pad(info->manufacturerID, sizeof info->manufacturerID, "airsign tests");
  pad(info->libraryDescription, sizeof info->libraryDescription, "testp11 (Windows, CNG)");
  info->libraryVersion.major = 1;
  return CKR_OK;
}

static CK_RV C_GetSlotList(CK_BBOOL present, CK_SLOT_ID *list, CK_ULONG *count) {
  (void)present;
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (count == NULL) return CKR_ARGUMENTS_BAD;
  if (list == NULL) { *count = 1; return CKR_OK; }
  if (*count < 1) { *count = 1; return CKR_BUFFER_TOO_SMALL; }
  list[0] = SLOT_ID;
  *count = 1;
  return CKR_OK;
}

static CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO *info) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  memset(info, 0, sizeof *info);
  pad(info->slotDescription, sizeof info->slotDescription, "airsign test slot");
  pad(info->manufacturerID, sizeof info->manufacturerID, "airsign tests");
  info->flags = CKF_TOKEN_PRESENT;
  return CKR_OK;
}

static CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO *info) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  memset(info, 0, sizeof *info);
  pad(info->label, sizeof info->label, TOKEN_LABEL);
  pad(info->manufacturerID, sizeof info->manufacturerID, "airsign tests");
  pad(info->model, sizeof info->model, "testp11");
  pad(info->serialNumber, sizeof info->serialNumber, "0001");
  pad(info->utcTime, sizeof info->utcTime, "");
  info->flags = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
  info->maxSessionCount = info->maxRwSessionCount = MAX_SESSIONS;
  info->maxPinLen = 32;
  info->minPinLen = 4;
  info->totalPublicMemory = info->freePublicMemory = info->totalPrivateMemory = info->freePrivateMemory = CK_UNAVAILABLE;
  return CKR_OK;
}

static CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE *list, CK_ULONG *count) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
  if (count == NULL) return CKR_ARGUMENTS_BAD;
  if (list == NULL) { *count = 1; return CKR_OK; }
  if (*count < 1) { *count = 1; return CKR_BUFFER_TOO_SMALL; }
  list[0] = CKM_ECDSA;
  *count = 1;
  return CKR_OK;
}

static CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
  if (type != CKM_ECDSA) return CKR_MECHANISM_INVALID;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  info->ulMinKeySize = info->ulMaxKeySize = 256;
  info->flags = CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
  return CKR_OK;
}

static CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, void *notify, CK_SESSION_HANDLE *out) {
  (void)app; (void)notify;
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != SLOT_ID) return CKR_SLOT_ID_INVALID;
  if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  if (out == NULL) return CKR_ARGUMENTS_BAD;
  for (CK_ULONG h = 1; h <= MAX_SESSIONS; h++) {
    if (!sessions[h].open) {
      memset(&sessions[h], 0, sizeof sessions[h]);
      sessions[h].open = 1;
      *out = h;
      return CKR_OK;
    }
  }
  return CKR_SESSION_COUNT;
}

static CK_RV C_CloseSession(CK_SESSION_HANDLE h) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  s->open = 0;
  int any = 0;
  for (int i = 1; i <= MAX_SESSIONS; i++) any |= sessions[i].open;
  if (!any) logged_in = 0; /* the login belongs to the token's sessions */
  return CKR_OK;
}

static CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_BYTE *pin, CK_ULONG len) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (session_of(h) == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (user != CKU_USER) return CKR_USER_TYPE_INVALID;
  if (logged_in) return CKR_USER_ALREADY_LOGGED_IN;
  if (pin == NULL || len != strlen(PIN) || memcmp(pin, PIN, len) != 0) return CKR_PIN_INCORRECT;
  logged_in = 1;
  return CKR_OK;
}

static CK_RV C_Logout(CK_SESSION_HANDLE h) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (session_of(h) == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!logged_in) return CKR_USER_NOT_LOGGED_IN;
  logged_in = 0;
  return CKR_OK;
}

static int visible(CK_OBJECT_HANDLE object) {
  return object == PUBLIC_HANDLE || (object == PRIVATE_HANDLE && logged_in);
}

static CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *template, CK_ULONG count) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (session_of(h) == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!visible(object)) return CKR_OBJECT_HANDLE_INVALID;
  if (template == NULL && count > 0) return CKR_ARGUMENTS_BAD;
  CK_RV rv = CKR_OK;
  for (CK_ULONG i = 0; i < count; i++) {
    const void *value = NULL;
    CK_ULONG len = 0;
    int found = attribute_of(object, template[i].type, &value, &len);
    if (found <= 0) {
      template[i].ulValueLen = CK_UNAVAILABLE;
      rv = found < 0 ? CKR_ATTRIBUTE_SENSITIVE : CKR_ATTRIBUTE_TYPE_INVALID;
    } else if (template[i].pValue == NULL) {
      template[i].ulValueLen = len;
    } else if (template[i].ulValueLen < len) {
      template[i].ulValueLen = CK_UNAVAILABLE;
      rv = CKR_BUFFER_TOO_SMALL;
    } else {
      memcpy(template[i].pValue, value, len);
      template[i].ulValueLen = len;
    }
  }
  return rv;
}

static int matches(CK_OBJECT_HANDLE object, const CK_ATTRIBUTE *template, CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; i++) {
    const void *value = NULL;
    CK_ULONG len = 0;
    if (attribute_of(object, template[i].type, &value, &len) <= 0) return 0;
    if (len != template[i].ulValueLen || (len > 0 && memcmp(value, template[i].pValue, len) != 0)) return 0;
  }
  return 1;
}

static CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE *template, CK_ULONG count) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (s->finding) return CKR_OPERATION_ACTIVE;
  if (template == NULL && count > 0) return CKR_ARGUMENTS_BAD;
  s->finding = 1;
  s->found_count = s->found_next = 0;
  for (CK_OBJECT_HANDLE object = PUBLIC_HANDLE; object <= PRIVATE_HANDLE; object++) {
    if (visible(object) && matches(object, template, count)) s->found[s->found_count++] = object;
  }
  return CKR_OK;
}

static CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  if (out == NULL || count == NULL) return CKR_ARGUMENTS_BAD;
  *count = 0;
  while (*count < max && s->found_next < s->found_count) out[(*count)++] = s->found[s->found_next++];
  return CKR_OK;
}

static CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  s->finding = 0;
  return CKR_OK;
}

static CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (mechanism == NULL) return CKR_ARGUMENTS_BAD;
  if (s->signing) return CKR_OPERATION_ACTIVE;
  if (mechanism->mechanism != CKM_ECDSA || mechanism->ulParameterLen != 0) return CKR_MECHANISM_INVALID;
  if (!logged_in) return CKR_USER_NOT_LOGGED_IN;
  if (key != PRIVATE_HANDLE) return key == PUBLIC_HANDLE ? CKR_KEY_TYPE_INCONSISTENT : CKR_KEY_HANDLE_INVALID;
  s->signing = 1;
  return CKR_OK;
}

/* ECDSA P-256 over `hash` with Windows CNG: raw r || s (64 bytes) into `out`; 0 on success. */
static int cng_sign(const CK_BYTE *hash, CK_ULONG hash_len, CK_BYTE *out) {
  BCRYPT_ALG_HANDLE alg = NULL;
  BCRYPT_KEY_HANDLE key = NULL;
  struct { BCRYPT_ECCKEY_BLOB header; CK_BYTE x[32], y[32], d[32]; } blob;
  ULONG written = 0;
  int ok = 0;
  blob.header.dwMagic = BCRYPT_ECDSA_PRIVATE_P256_MAGIC;
  blob.header.cbKey = 32;
  unhex(KEY_X, blob.x, 32);
  unhex(KEY_Y, blob.y, 32);
  unhex(KEY_D, blob.d, 32);
  if (BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_ECDSA_P256_ALGORITHM, NULL, 0)) &&
      BCRYPT_SUCCESS(BCryptImportKeyPair(alg, NULL, BCRYPT_ECCPRIVATE_BLOB, &key, (PUCHAR)&blob, sizeof blob, 0)) &&
      BCRYPT_SUCCESS(BCryptSignHash(key, NULL, (PUCHAR)hash, hash_len, out, 64, &written, 0)) && written == 64) {
    ok = 1;
  }
  SecureZeroMemory(&blob, sizeof blob);
  if (key != NULL) BCryptDestroyKey(key);
  if (alg != NULL) BCryptCloseAlgorithmProvider(alg, 0);
  return ok ? 0 : -1;
}

static CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE *data, CK_ULONG len, CK_BYTE *signature, CK_ULONG *signature_len) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  SESSION *s = session_of(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!s->signing) return CKR_OPERATION_NOT_INITIALIZED;
  if (signature_len == NULL || data == NULL) { s->signing = 0; return CKR_ARGUMENTS_BAD; }
  if (signature == NULL) { *signature_len = 64; return CKR_OK; }
  if (*signature_len < 64) { *signature_len = 64; return CKR_BUFFER_TOO_SMALL; }
  s->signing = 0;
  /* A digest of SHA-1 to SHA-512 size; CNG takes the leftmost 256 bits of a longer one. */
  if (len < 20 || len > 64) return CKR_DATA_LEN_RANGE;
  if (cng_sign(data, len, signature) != 0) return CKR_GENERAL_ERROR;
  *signature_len = 64;
  return CKR_OK;
}

static CK_RV not_supported(void) {
  return CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_FUNCTION_LIST function_list;

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST **out) {
  if (out == NULL) return CKR_ARGUMENTS_BAD;
  function_list.version.major = 2;
  function_list.version.minor = 40;
  for (int i = 0; i < FUNCTION_COUNT; i++) function_list.functions[i] = (CK_ANY_FUNCTION)not_supported;
  CK_ANY_FUNCTION *f = function_list.functions;
  f[F_Initialize] = (CK_ANY_FUNCTION)C_Initialize;
  f[F_Finalize] = (CK_ANY_FUNCTION)C_Finalize;
  f[F_GetInfo] = (CK_ANY_FUNCTION)C_GetInfo;
  f[F_GetFunctionList] = (CK_ANY_FUNCTION)C_GetFunctionList;
  f[F_GetSlotList] = (CK_ANY_FUNCTION)C_GetSlotList;
  f[F_GetSlotInfo] = (CK_ANY_FUNCTION)C_GetSlotInfo;
  f[F_GetTokenInfo] = (CK_ANY_FUNCTION)C_GetTokenInfo;
  f[F_GetMechanismList] = (CK_ANY_FUNCTION)C_GetMechanismList;
  f[F_GetMechanismInfo] = (CK_ANY_FUNCTION)C_GetMechanismInfo;
  f[F_OpenSession] = (CK_ANY_FUNCTION)C_OpenSession;
  f[F_CloseSession] = (CK_ANY_FUNCTION)C_CloseSession;
  f[F_Login] = (CK_ANY_FUNCTION)C_Login;
  f[F_Logout] = (CK_ANY_FUNCTION)C_Logout;
  f[F_GetAttributeValue] = (CK_ANY_FUNCTION)C_GetAttributeValue;
  f[F_FindObjectsInit] = (CK_ANY_FUNCTION)C_FindObjectsInit;
  f[F_FindObjects] = (CK_ANY_FUNCTION)C_FindObjects;
  f[F_FindObjectsFinal] = (CK_ANY_FUNCTION)C_FindObjectsFinal;
  f[F_SignInit] = (CK_ANY_FUNCTION)C_SignInit;
  f[F_Sign] = (CK_ANY_FUNCTION)C_Sign;
  *out = &function_list;
  return CKR_OK;
}
