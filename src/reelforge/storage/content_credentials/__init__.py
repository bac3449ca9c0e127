"""Content credentials: the signed C2PA manifest each artifact we make carries (issue 24).

keys: the signing key and certificate chain (made on first start, or the operator's);
signers: who signs (a local key, or any remote signer behind one small protocol);
claims: what a manifest says (actions, generator, ingredients), as plain data;
sealing: signing a file with the c2pa library (embedded, else a sidecar manifest);
reading: validating any file's credentials.
"""
