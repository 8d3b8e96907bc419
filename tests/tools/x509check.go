// x509check FILE... : reads certificates, CSRs and CRLs (PEM, several blocks to a
// file, or DER) with Go's crypto/x509, which refuses encodings OpenSSL and GnuTLS
// forgive (a cA BOOLEAN that is not DER TRUE, bad string types, mismatched
// signature algorithms...), and checks every signature and every certificate's
// chain among the files given. One line per object, "ok ..." or "FAIL ...: what:
// Go's error", then a count. Exit 0 all ok, 1 any failed, 2 usage or I/O error.
// Standard library only: the tests build it offline (GO111MODULE=off).
package main

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

type object struct {
	name string // FILE, or FILE#N for the Nth PEM block of a file with several
	kind string // certificate, csr, crl
	der  []byte
	cert *x509.Certificate
	csr  *x509.CertificateRequest
	crl  *x509.RevocationList
	fail string // "what: why" once something failed
}

func (o *object) parse() {
	var err error
	switch o.kind {
	case "certificate":
		o.cert, err = x509.ParseCertificate(o.der)
	case "csr":
		o.csr, err = x509.ParseCertificateRequest(o.der)
	case "crl":
		o.crl, err = x509.ParseRevocationList(o.der)
	}
	if err != nil {
		o.fail = "parse " + o.kind + ": " + err.Error()
	}
}

// derKind guesses what a DER object none of the parsers took was meant to be, so
// that it is reported by that parser: a TBSCertificate starts with the [0]
// version, a CertificationRequestInfo with INTEGER 0, a TBSCertList otherwise.
func derKind(der []byte) string {
	var outer, tbs, first asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return "certificate"
	}
	if _, err := asn1.Unmarshal(outer.Bytes, &tbs); err != nil {
		return "certificate"
	}
	if _, err := asn1.Unmarshal(tbs.Bytes, &first); err != nil {
		return "certificate"
	}
	switch {
	case first.Class == asn1.ClassContextSpecific && first.Tag == 0:
		return "certificate"
	case first.Class == asn1.ClassUniversal && first.Tag == asn1.TagInteger && bytes.Equal(first.Bytes, []byte{0}):
		return "csr"
	}
	return "crl"
}

// load reads FILE into objects; PEM blocks other than the three kinds are noted
// and skipped. A file that holds nothing readable is itself a failure.
func load(path string) ([]*object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN")) {
		for _, k := range []string{"certificate", "csr", "crl"} {
			o := &object{name: path, kind: k, der: data}
			if o.parse(); o.fail == "" {
				return []*object{o}, nil
			}
		}
		if _, err := x509.ParsePKIXPublicKey(data); err == nil {
			fmt.Printf("note %s: public key skipped\n", path)
			return nil, nil
		}
		o := &object{name: path, kind: derKind(data), der: data}
		o.parse()
		return []*object{o}, nil
	}
	var blocks []*pem.Block
	rest := data
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 || len(bytes.TrimSpace(rest)) != 0 {
		return []*object{{name: path, kind: "file", fail: "PEM: not PEM, or text after the last block"}}, nil
	}
	var objs []*object
	for i, b := range blocks {
		name := path
		if len(blocks) > 1 {
			name = fmt.Sprintf("%s#%d", path, i+1)
		}
		kind := map[string]string{"CERTIFICATE": "certificate", "CERTIFICATE REQUEST": "csr",
			"NEW CERTIFICATE REQUEST": "csr", "X509 CRL": "crl"}[b.Type]
		if kind == "" {
			fmt.Printf("note %s: %s block skipped\n", name, b.Type)
			continue
		}
		o := &object{name: name, kind: kind, der: b.Bytes}
		o.parse()
		objs = append(objs, o)
	}
	return objs, nil
}

// issuerOf finds a loaded certificate that names itself as o's issuer and whose
// key verifies o's signature (check: o's own CheckSignatureFrom). With a candidate
// by name but no good signature, the first candidate's error is the reason.
func issuerOf(raw []byte, certs []*x509.Certificate, check func(*x509.Certificate) error) (*x509.Certificate, error) {
	var first error
	for _, p := range certs {
		if !bytes.Equal(raw, p.RawSubject) {
			continue
		}
		err := check(p)
		if err == nil {
			return p, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("issuer not among the files")
	}
	return nil, first
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: x509check FILE...")
		os.Exit(2)
	}
	var objs []*object
	for _, path := range os.Args[1:] {
		o, err := load(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "x509check:", err)
			os.Exit(2)
		}
		objs = append(objs, o...)
	}

	// Issuers are the certificates that parsed; roots are the self-signed ones
	// whose own key verifies them.
	var certs []*x509.Certificate
	for _, o := range objs {
		if o.cert != nil {
			certs = append(certs, o.cert)
		}
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			if c.CheckSignatureFrom(c) == nil {
				roots.AddCert(c)
			}
		} else if c.BasicConstraintsValid && c.IsCA {
			inters.AddCert(c)
		}
	}

	failed := 0
	for _, o := range objs {
		var what string
		switch {
		case o.fail != "":
		case o.cert != nil:
			c := o.cert
			what = fmt.Sprintf("certificate %s (%s)", c.Subject, c.SignatureAlgorithm)
			if bytes.Equal(c.RawIssuer, c.RawSubject) {
				if err := c.CheckSignatureFrom(c); err != nil {
					o.fail = "self-signature: " + err.Error()
					break
				}
			} else if _, err := issuerOf(c.RawIssuer, certs, c.CheckSignatureFrom); err != nil {
				o.fail = "signature: " + err.Error()
				break
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: time.Now()}); err != nil {
				o.fail = "chain: " + err.Error()
			}
		case o.csr != nil:
			what = fmt.Sprintf("csr %s (%s)", o.csr.Subject, o.csr.SignatureAlgorithm)
			if err := o.csr.CheckSignature(); err != nil {
				o.fail = "signature: " + err.Error()
			}
		case o.crl != nil:
			what = fmt.Sprintf("crl %s (%s)", o.crl.Issuer, o.crl.SignatureAlgorithm)
			if _, err := issuerOf(o.crl.RawIssuer, certs, o.crl.CheckSignatureFrom); err != nil {
				o.fail = "signature: " + err.Error()
			}
		}
		if o.fail != "" {
			failed++
			fmt.Printf("FAIL %s: %s\n", o.name, o.fail)
		} else {
			fmt.Printf("ok %s: %s\n", o.name, what)
		}
	}
	fmt.Printf("x509check: %d objects, %d failed\n", len(objs), failed)
	if failed > 0 {
		os.Exit(1)
	}
}
