package descriptors_test

import (
	"fmt"

	"github.com/rxlab/rxlab/molecules"
	"github.com/rxlab/rxlab/molecules/descriptors"
)

// Toluene and ethylbenzene share benzene's Bemis–Murcko scaffold.
func ExampleScaffoldKey() {
	tol, _ := molecules.Parse("Cc1ccccc1")
	eth, _ := molecules.Parse("CCc1ccccc1")
	pyr, _ := molecules.Parse("Cc1ccncc1")
	fmt.Println(descriptors.ScaffoldKey(tol) == descriptors.ScaffoldKey(eth))
	fmt.Println(descriptors.ScaffoldKey(tol) == descriptors.ScaffoldKey(pyr))
	fmt.Println(len(descriptors.ScaffoldAtoms(tol)))
	// Output:
	// true
	// false
	// 6
}
