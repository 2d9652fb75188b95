#include "asc_webhookd/core/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>

namespace asc_webhookd::jwt {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(std::string_view in, bool url) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto ch = [&](unsigned v) {
    char c = kB64[v & 63];
    if (url && c == '+') c = '-';
    if (url && c == '/') c = '_';
    out.push_back(c);
  };
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    ch(v >> 18), ch(v >> 12), ch(v >> 6), ch(v);
  }
  if (in.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    ch(v >> 18), ch(v >> 12);
    if (!url) out += "==";
  } else if (in.size() - i == 2) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    ch(v >> 18), ch(v >> 12), ch(v >> 6);
    if (!url) out += "=";
  }
  return out;
}

std::string openssl_error(const char* what) { return std::string(what) + " (OpenSSL could not read or use the key)"; }

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

}  // namespace

std::string base64url(std::string_view bytes) { return encode(bytes, true); }
std::string base64(std::string_view bytes) { return encode(bytes, false); }

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-' || c == '+') v = 62;
    else if (c == '_' || c == '/') v = 63;
    else if (c == '=') break;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

struct SigningKey::Key {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey;
};

Result<SigningKey, Error> SigningKey::load(std::string_view pem, Algorithm alg) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!raw) return Error{"not a PEM private key"};
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(raw);
  if (alg == Algorithm::rs256 && EVP_PKEY_base_id(raw) != EVP_PKEY_RSA) return Error{"the key is not an RSA key (RS256 needs one)"};
  if (alg == Algorithm::es256) {
    if (EVP_PKEY_base_id(raw) != EVP_PKEY_EC) return Error{"the key is not an EC key (ES256 needs a P-256 key)"};
    if (EVP_PKEY_bits(raw) != 256) return Error{"the key is not a P-256 key"};
  }
  SigningKey k;
  k.key_ = std::make_shared<Key>();
  k.key_->pkey = std::move(pkey);
  k.alg_ = alg;
  return k;
}

Result<std::string, Error> SigningKey::sign(nlohmann::json header, const nlohmann::json& claims) const {
  header["alg"] = alg_ == Algorithm::rs256 ? "RS256" : "ES256";
  if (!header.contains("typ")) header["typ"] = "JWT";
  std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1;
  std::size_t len = 0;
  ok = ok && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Error{openssl_error("signing failed")};
  if (alg_ == Algorithm::es256) {  // DER ECDSA-Sig-Value → R‖S, each left-padded to 32 bytes
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (!es) return Error{"signing failed: unexpected ECDSA signature encoding"};
    std::array<unsigned char, 64> rs{};
    BN_bn2binpad(ECDSA_SIG_get0_r(es), rs.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), rs.data() + 32, 32);
    ECDSA_SIG_free(es);
    sig.assign(reinterpret_cast<const char*>(rs.data()), rs.size());
  }
  return Result<std::string, Error>(boost::system::in_place_value, input + "." + base64url(sig));
}

Result<Decoded, Error> verify(std::string_view token, std::string_view public_pem, Algorithm alg) {
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return Error{"not a JWT (three dot-separated parts expected)"};
  auto header = base64url_decode(token.substr(0, d1));
  auto claims = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !claims || !sig) return Error{"a JWT part is not base64url"};
  Decoded out;
  out.header = nlohmann::json::parse(*header, nullptr, false);
  out.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (out.header.is_discarded() || out.claims.is_discarded()) return Error{"a JWT part is not JSON"};
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!pub) return Error{"not a PEM public key"};
  std::unique_ptr<EVP_PKEY, PkeyDeleter> guard(pub);
  std::string der = *sig;
  if (alg == Algorithm::es256) {  // R‖S → DER for OpenSSL
    if (sig->size() != 64) return Error{"ES256 signature must be 64 bytes (R||S), got " + std::to_string(sig->size())};
    ECDSA_SIG* es = ECDSA_SIG_new();
    const auto* b = reinterpret_cast<const unsigned char*>(sig->data());
    ECDSA_SIG_set0(es, BN_bin2bn(b, 32, nullptr), BN_bin2bn(b + 32, 32, nullptr));
    unsigned char* buf = nullptr;
    int n = i2d_ECDSA_SIG(es, &buf);
    der.assign(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
    ECDSA_SIG_free(es);
  }
  std::string_view input = token.substr(0, d2);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Error{"signature does not verify"};
  return out;
}

}  // namespace asc_webhookd::jwt
