module example.invalid/objforge-example

go 1.19

require example.invalid/objforge v0.0.0

replace example.invalid/objforge => ../../bindings/go
