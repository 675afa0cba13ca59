module pvf.example/validate

go 1.19
