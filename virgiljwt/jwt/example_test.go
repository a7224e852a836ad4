package jwt_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

func ExampleSigner_Mint() {
	// A real App Key comes from the Virgil dashboard, through a secret
	// store or an environment variable, never from source code.
	appKey, err := jwt.ParsePrivateKey([]byte("MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP"))
	if err != nil {
		log.Fatal(err)
	}
	signer := jwt.Signer{
		AppID:    "13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7",
		AppKeyID: "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1",
		AppKey:   appKey,
		TTL:      20 * time.Minute,
		// A fixed clock makes the token reproducible. Leave Now nil in
		// production.
		Now: func() time.Time { return time.Unix(1700000000, 0) },
	}
	token, err := signer.Mint("alice@example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(token)
	// Output:
	// eyJhbGciOiJWRURTNTEyIiwia2lkIjoiOGU2MjY0MzY3NGQxMDBiOGE1MjY0ODQ3NWMyM2I4YmI4NmExZjExOWU4OTk3MGNjNjNjZGNjYzA5MjBkZjJlYTJkOGNiN2Q2YjU0YzRhOWUyODRiMmNjZjVhY2IyMmVhMzdlZmVmY2I2ZTQyNzRjNGIwNGVkNzI1ZTQ0NTRjYTEiLCJ0eXAiOiJKV1QiLCJjdHkiOiJ2aXJnaWwtand0O3Y9MSJ9.eyJpc3MiOiJ2aXJnaWwtMTM0OTdjM2M3OTVlM2E2YzMyNjQzYjBhNzY5NTdiNzBkMjMzMjA4MDc2MjQ2OWNkYmVjODlkNjM5MGU2ZGJkNyIsInN1YiI6ImlkZW50aXR5LWFsaWNlQGV4YW1wbGUuY29tIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDEyMDB9.MFEwDQYJYIZIAWUDBAIDBQAEQEIBq3ckc6taZcyiyv7ewUskNz3thA6AGif3DfvRlQMWOWujGIYj-xXEjwyPc0heUv4wqWv_3rLZuSA-pR_eGQI
}

func ExampleVerifier_Verify() {
	appPublicKey, err := jwt.ParsePublicKey([]byte("MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4="))
	if err != nil {
		log.Fatal(err)
	}
	verifier := jwt.Verifier{
		AppPublicKey: appPublicKey,
		AppKeyID:     "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1",
	}

	// This token, from Virgil's cross-SDK test vectors, expired in 2018.
	tok, err := verifier.Verify(stc22Token)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		fmt.Printf("genuine but expired token for %q, issued at %d\n", tok.Identity(), tok.Claims.IssuedAt)
	case err != nil:
		fmt.Println("rejected:", err)
	default:
		fmt.Printf("valid token for %q\n", tok.Identity())
	}
	// Output:
	// genuine but expired token for "some_identity", issued at 1518513309
}
