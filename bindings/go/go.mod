module example.invalid/objforge

go 1.19
