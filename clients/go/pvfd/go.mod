module pvf/clients/go/pvfd

go 1.19
